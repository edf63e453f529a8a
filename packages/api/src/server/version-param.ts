// The `version` query parameter of the update endpoints (swarm, node, service), read as moby's
// routers do: strconv.ParseUint, refused with "invalid <object> version '<raw>': <Go's error>".
import { InvalidArgumentError } from '@shoal/store';

const MAX_UINT64 = 18446744073709551615n;

export function versionParam(q: URLSearchParams, object: 'swarm' | 'node' | 'service'): number {
  const raw = q.get('version') ?? '';
  const fail = (why: string): never => {
    throw new InvalidArgumentError(`invalid ${object} version '${raw}': strconv.ParseUint: parsing ${JSON.stringify(raw)}: ${why}`);
  };
  if (!/^\d+$/.test(raw)) fail('invalid syntax');
  if (BigInt(raw) > MAX_UINT64) fail('value out of range');
  return Number(raw);
}
