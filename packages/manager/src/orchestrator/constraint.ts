// Placement constraints (`node.role==manager`): swarmkit's grammar, error texts and
// matching rules (manager/constraint/constraint.go), so the control API can reject
// bad input with Docker's words and the scheduler filters nodes the same way.
import { BlockList, isIP } from 'node:net';
import type { NodeObject } from '@shoal/store';

export type ConstraintOperator = '==' | '!=';

export interface Constraint {
  key: string;
  operator: ConstraintOperator;
  value: string;
}

const OPERATORS: readonly ConstraintOperator[] = ['==', '!='];
const NODE_LABEL_PREFIX = 'node.labels.';
const ENGINE_LABEL_PREFIX = 'engine.labels.';
const KEY_PATTERN = /^[a-z_][a-z0-9\-_.]+$/i;
// No operator characters (<, >, ~, =, !) so future operators stay unambiguous.
const VALUE_PATTERN = /^[a-z0-9:\-_\s.*()?+[\]\\^$|/]+$/i;

export type ParseResult = { ok: true; constraints: Constraint[] } | { ok: false; error: string };

/** Parses `key==value` / `key!=value` expressions; the first bad one decides the error. */
export function parseConstraints(exprs: readonly string[]): ParseResult {
  const constraints: Constraint[] = [];
  for (const expr of exprs) {
    // swarmkit tries "==" first, so "a!==b" yields the key "a!".
    const operator = OPERATORS.find((op) => expr.includes(op));
    if (!operator) return { ok: false, error: `constraint expected one operator from ${OPERATORS.join(', ')}` };
    const at = expr.indexOf(operator);
    const key = expr.slice(0, at).trim();
    if (!KEY_PATTERN.test(key)) return { ok: false, error: `key '${key}' is invalid` };
    const value = expr.slice(at + operator.length).trim();
    if (!VALUE_PATTERN.test(value)) return { ok: false, error: `value '${value}' is invalid` };
    constraints.push({ key, operator, value });
  }
  return { ok: true, constraints };
}

/** The control API's check: null when valid, else swarmkit's error text. */
export function validateConstraints(exprs: readonly string[]): string | null {
  const parsed = parseConstraints(exprs);
  return parsed.ok ? null : parsed.error;
}

/** True when the node satisfies every constraint (an unknown key never matches). */
export function nodeMatches(constraints: readonly Constraint[], node: NodeObject): boolean {
  return constraints.every((c) => matchOne(c, node));
}

function matchOne(c: Constraint, node: NodeObject): boolean {
  if (c.key.toLowerCase() === 'node.ip') return matchIp(c, node.status.addr || node.description.addr);
  const actual = nodeAttribute(c.key, node);
  return actual !== undefined && matchValue(c, actual);
}

/**
 * A node's value for a constraint or spread key (`node.id`, `node.hostname`, `node.role`,
 * `node.platform.os|arch`, `node.labels.<name>`, `engine.labels.<name>`); undefined for a key that
 * names nothing. A missing label reads as "".
 */
export function nodeAttribute(rawKey: string, node: NodeObject): string | undefined {
  if (typeof rawKey !== 'string') return undefined;
  const key = rawKey.toLowerCase();
  switch (key) {
    case 'node.id':
      return node.id;
    case 'node.hostname':
      return node.description.hostname;
    case 'node.ip':
      return node.status.addr || node.description.addr;
    case 'node.role':
      return node.role;
    case 'node.platform.os':
      return node.description.platform.os;
    case 'node.platform.arch':
      return node.description.platform.architecture;
    default:
      break;
  }
  if (key.length > NODE_LABEL_PREFIX.length && key.startsWith(NODE_LABEL_PREFIX)) {
    // The label name itself is case sensitive.
    return node.spec.labels[rawKey.slice(NODE_LABEL_PREFIX.length)] ?? '';
  }
  // Shoal nodes report no engine labels: swarmkit matches those against "".
  if (key.length > ENGINE_LABEL_PREFIX.length && key.startsWith(ENGINE_LABEL_PREFIX)) return '';
  return undefined;
}

/** Whole-string, case-insensitive comparison. */
function matchValue(c: Constraint, actual: string): boolean {
  const equal = c.value.toLowerCase() === actual.toLowerCase();
  return c.operator === '==' ? equal : !equal;
}

/** `node.ip==10.0.0.1` or `node.ip!=10.0.0.0/8`; a malformed address never matches. */
function matchIp(c: Constraint, addr: string): boolean {
  const set = addressSet(c.value);
  if (!set) return false;
  const nodeIp = normalizeIp(hostOf(addr));
  const hit = nodeIp !== null && set.check(nodeIp.text, nodeIp.family);
  return c.operator === '==' ? hit : !hit;
}

/** The node's address as `host`, `host:port` or `[v6]:port`. */
function hostOf(addr: string): string {
  if (isIP(addr)) return addr;
  const bracketed = /^\[([^\]]+)\](?::\d+)?$/.exec(addr);
  if (bracketed?.[1]) return bracketed[1];
  const colon = addr.lastIndexOf(':');
  return colon > 0 && addr.indexOf(':') === colon ? addr.slice(0, colon) : addr;
}

type Family = 'ipv4' | 'ipv6';

function normalizeIp(text: string): { text: string; family: Family } | null {
  // Go's net.IP.Equal treats ::ffff:a.b.c.d as a.b.c.d.
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(text);
  const candidate = mapped?.[1] ?? text;
  const family = isIP(candidate);
  if (family === 4) return { text: candidate, family: 'ipv4' };
  if (family === 6) return { text: candidate, family: 'ipv6' };
  return null;
}

/** A single address or a CIDR subnet as a set; null when malformed. */
function addressSet(text: string): BlockList | null {
  const list = new BlockList();
  const single = normalizeIp(text);
  if (single) {
    list.addAddress(single.text, single.family);
    return list;
  }
  const slash = text.indexOf('/');
  if (slash < 0) return null;
  const base = normalizeIp(text.slice(0, slash));
  const bitsText = text.slice(slash + 1);
  if (!base || !/^\d+$/.test(bitsText)) return null;
  const bits = Number(bitsText);
  if (bits > (base.family === 'ipv4' ? 32 : 128)) return null;
  list.addSubnet(base.text, bits, base.family);
  return list;
}

/** A spread descriptor swarmkit accepts: `node.labels.<name>` or `engine.labels.<name>`. */
export function validSpreadDescriptor(d: unknown): boolean {
  if (typeof d !== 'string') return false;
  const key = d.toLowerCase();
  return (key.startsWith(NODE_LABEL_PREFIX) && key.length > NODE_LABEL_PREFIX.length) || (key.startsWith(ENGINE_LABEL_PREFIX) && key.length > ENGINE_LABEL_PREFIX.length);
}
