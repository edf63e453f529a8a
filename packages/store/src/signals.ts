// Stop signals as Docker reads them (`--stop-signal`): a name with or without SIG, any case, or a
// number. Canonical form: the `SIGxxx` name Node's process.kill takes.
import { constants } from 'node:os';

const BY_NUMBER = new Map<number, string>(Object.entries(constants.signals).map(([name, n]) => [n, name]));

/** The signal's `SIGxxx` name, or undefined when `raw` names no signal. */
export function parseSignal(raw: string): string | undefined {
  const s = raw.trim();
  if (/^\d+$/.test(s)) return BY_NUMBER.get(Number(s));
  const name = s.toUpperCase().startsWith('SIG') ? s.toUpperCase() : `SIG${s.toUpperCase()}`;
  return name in constants.signals ? name : undefined;
}
