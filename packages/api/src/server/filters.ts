// Docker list filters (`filters={"role":{"manager":true}}`, or the legacy array form).
import { InvalidArgumentError, labelsMatchAll, type NodeObject } from '@shoal/store';

export type ParsedFilters = Map<string, string[]>;

export function parseFilters(raw: string | null, accepted: readonly string[]): ParsedFilters {
  const out: ParsedFilters = new Map();
  if (!raw) return out;
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch (err) {
    throw new InvalidArgumentError(`invalid filter: ${(err as Error).message}`);
  }
  if (typeof parsed !== 'object' || parsed === null) throw new InvalidArgumentError('invalid filter');
  for (const [key, value] of Object.entries(parsed as Record<string, unknown>)) {
    if (!accepted.includes(key)) throw new InvalidArgumentError(`invalid filter '${key}'`);
    const values = Array.isArray(value)
      ? value.map(String)
      : Object.entries(value as Record<string, unknown>)
          .filter(([, on]) => on === true)
          .map(([v]) => v);
    out.set(key, values);
  }
  return out;
}

export const NODE_FILTERS = ['id', 'label', 'node.label', 'membership', 'name', 'role'] as const;

/** Each filter key must match (AND); within a key any value may match (OR), but labels must all match. */
export function filterNodes(nodes: NodeObject[], filters: ParsedFilters): NodeObject[] {
  // moby's newListNodesFilters: roles and memberships in any case, an empty value ignored, and an
  // unknown one refused before any node is looked at.
  const entries = [...filters.entries()].map(([key, values]): [string, string[]] => {
    if (key !== 'role' && key !== 'membership') return [key, values];
    const known = key === 'role' ? ['manager', 'worker'] : ['accepted', 'pending'];
    const kept: string[] = [];
    for (const v of values) {
      if (known.includes(v.toLowerCase())) kept.push(v.toLowerCase());
      else if (v !== '') throw new InvalidArgumentError(`Invalid ${key} filter: '${v}'`);
    }
    return [key, kept];
  });
  return nodes.filter((node) =>
    entries.every(([key, values]) => {
      if (values.length === 0) return true;
      if (key === 'node.label') return labelsMatchAll(node.spec.labels, values); // every one (swarmkit's NodeLabels)
      if (key === 'label') return false; // engine labels, also all required: Shoal nodes carry none yet
      return values.some((v) => nodeMatches(node, key, v));
    }),
  );
}

function nodeMatches(node: NodeObject, key: string, value: string): boolean {
  switch (key) {
    case 'id':
      return node.id.startsWith(value);
    case 'name':
      return node.spec.name.startsWith(value) || node.description.hostname.startsWith(value);
    case 'role':
      return node.spec.role === value;
    case 'membership':
      return value === 'accepted'; // every node in the store was accepted
    default:
      return false;
  }
}

const GO_DURATION = /^(?:\d+(?:\.\d+)?(?:ns|us|µs|ms|s|m|h))+$/;
const UNIT_MS: Record<string, number> = { ns: 1e-6, us: 1e-3, µs: 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/**
 * An `until` filter value as Docker reads it: a Unix timestamp (seconds, fractions allowed), an
 * RFC 3339 date, or a Go duration counted back from `now`. Returns an ISO timestamp.
 */
export function parseUntil(value: string, now: number): string {
  let ms: number;
  if (/^\d+(\.\d+)?$/.test(value)) ms = Number(value) * 1000;
  else if (GO_DURATION.test(value)) {
    let d = 0;
    for (const m of value.matchAll(/(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/g)) d += Number(m[1]) * (UNIT_MS[m[2] as string] as number);
    ms = now - d;
  } else ms = Date.parse(value);
  if (!Number.isFinite(ms)) throw new InvalidArgumentError(`failed to parse value as time or duration: "${value}"`);
  return new Date(ms).toISOString();
}

/** A boolean filter value as moby reads one (GetBoolOrDefault): true/1 or false/0. */
export function parseBoolFilter(key: string, value: string): boolean {
  const v = value.toLowerCase();
  if (v === 'true' || v === '1') return true;
  if (v === 'false' || v === '0') return false;
  throw new InvalidArgumentError(`invalid filter '${key}=[${value}]'`);
}
