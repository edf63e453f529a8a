// Gossip frame codec: one version byte, then msgpack with numeric type tags; every decoded field is checked.
import { Packr } from 'msgpackr';
import { GossipDecodeError } from './errors';
import { MESSAGE_TAGS } from './messages';
import type { GossipMessage, MessageType, PushNodeState, SingleMessage } from './messages';

export const GOSSIP_FRAME_VERSION = 1;

/** Bytes a compound wrapper adds around its parts (map header, keys, tag, array header; rounded up). */
export const COMPOUND_OVERHEAD = 24;

const packr = new Packr({ useRecords: false, moreTypes: false, int64AsType: 'number' });

type Wire = Record<string, unknown>;

const TAG_OF = new Map<MessageType, number>(MESSAGE_TAGS.map((t, i) => [t, i]));

function toWire(msg: GossipMessage): Wire {
  const tag = TAG_OF.get(msg.type);
  if (msg.type === 'compound') return { type: tag, parts: msg.parts.map(toWire) };
  return { ...msg, type: tag };
}

export function encodeMessage(msg: GossipMessage): Buffer {
  const body = packr.pack(toWire(msg));
  const out = Buffer.allocUnsafe(body.length + 1);
  out[0] = GOSSIP_FRAME_VERSION;
  body.copy(out, 1);
  return out;
}

/** Encoded size of a message body (as a compound part, or a frame minus its version byte). */
export function encodedSize(msg: GossipMessage): number {
  return packr.pack(toWire(msg)).length;
}

export function decodeMessage(frame: Uint8Array): GossipMessage {
  if (frame.length < 2) throw new GossipDecodeError('empty gossip frame');
  if (frame[0] !== GOSSIP_FRAME_VERSION) throw new GossipDecodeError(`unsupported gossip frame version ${frame[0]}`);
  let raw: unknown;
  try {
    raw = packr.unpack(frame.subarray(1));
  } catch (err) {
    throw new GossipDecodeError('malformed gossip frame', { cause: err });
  }
  return fromWire(raw, true);
}

const isObj = (v: unknown): v is Wire => typeof v === 'object' && v !== null && !Array.isArray(v);
const isStr = (v: unknown): v is string => typeof v === 'string';
const isNat = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
const isBool = (v: unknown): v is boolean => typeof v === 'boolean';
const isMeta = (v: unknown): boolean => isObj(v) && Object.values(v).every(isStr);
const STATES = new Set(['alive', 'suspect', 'dead', 'left']);

function isNodeState(v: unknown): v is PushNodeState {
  return (
    isObj(v) &&
    isStr(v.id) &&
    isStr(v.addr) &&
    isNat(v.port) &&
    isMeta(v.meta) &&
    isNat(v.incarnation) &&
    STATES.has(v.state as string)
  );
}

const CHECKS: Record<Exclude<MessageType, 'compound'>, (o: Wire) => boolean> = {
  ping: (o) => isNat(o.seq) && isStr(o.target) && isStr(o.src),
  'indirect-ping': (o) =>
    isNat(o.seq) && isStr(o.target) && isStr(o.targetAddr) && isStr(o.src) && isBool(o.nack) && isNat(o.timeoutMs),
  ack: (o) => isNat(o.seq),
  nack: (o) => isNat(o.seq),
  alive: (o) => isStr(o.node) && isNat(o.incarnation) && isStr(o.addr) && isNat(o.port) && isMeta(o.meta),
  suspect: (o) => isStr(o.node) && isNat(o.incarnation) && isStr(o.from),
  dead: (o) => isStr(o.node) && isNat(o.incarnation) && isStr(o.from),
  user: (o) => 'payload' in o,
  'push-pull': (o) =>
    isBool(o.join) && isBool(o.reply) && isStr(o.src) && Array.isArray(o.nodes) && o.nodes.every(isNodeState),
};

function fromWire(raw: unknown, topLevel: boolean): GossipMessage {
  if (!isObj(raw) || typeof raw.type !== 'number') throw new GossipDecodeError('gossip message without a type tag');
  const type = MESSAGE_TAGS[raw.type];
  if (type === undefined) throw new GossipDecodeError(`unknown gossip message tag ${raw.type}`);
  if (type === 'compound') {
    if (!topLevel || !Array.isArray(raw.parts)) throw new GossipDecodeError('malformed compound message');
    const parts = raw.parts.map((p) => fromWire(p, false)) as SingleMessage[];
    return { type, parts };
  }
  if (type === 'push-pull' && !topLevel) throw new GossipDecodeError('push-pull inside a compound message');
  if (!CHECKS[type](raw)) throw new GossipDecodeError(`malformed ${type} message`);
  return { ...raw, type } as GossipMessage;
}
