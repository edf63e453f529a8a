// Durations in environment knobs (SHOAL_GOSSIP_KEY_ROTATION, SHOAL_NODE_CERT_VALIDITY).

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3600_000 };

/** Milliseconds of a positive duration such as `500ms`, `2s`, `1h30m`; undefined if it is not one. */
export function parseDurationMs(text: string): number | undefined {
  const re = /(\d+(?:\.\d+)?)(ms|s|m|h)/y;
  let total = 0;
  let m: RegExpExecArray | null;
  while (re.lastIndex < text.length && (m = re.exec(text))) total += Number(m[1]) * (UNIT_MS[m[2] as string] as number);
  if (text === '' || re.lastIndex !== text.length || total < 1) return undefined;
  return Math.round(total);
}
