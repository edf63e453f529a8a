// Binary encoding of a batch of Raft messages for the transport between managers: a fixed
// layout per message type instead of a generic object encoding, since the leader encodes
// every append once per follower and the followers decode them on their hot path.
import { assertNever } from './assert-never';
import { ByteReader, ByteWriter, DecodeError } from './codec';
import { MESSAGE_TYPES, type Message, type MessageType } from './messages';
import type { ConfState } from './types';

const VERSION = 1;
const TAG = new Map<MessageType, number>(MESSAGE_TYPES.map((t, i) => [t, i]));

/** UTF-8 of the few node ids a manager talks to, so each message does not encode them again. */
const ID_BYTES = new Map<string, Uint8Array>();
const ID_CACHE_LIMIT = 256;
const utf8 = new TextEncoder();

function idBytes(id: string): Uint8Array {
  let b = ID_BYTES.get(id);
  if (b === undefined) {
    b = utf8.encode(id);
    if (ID_BYTES.size >= ID_CACHE_LIMIT) ID_BYTES.clear();
    ID_BYTES.set(id, b);
  }
  return b;
}

export function encodeMessages(messages: readonly Message[]): Uint8Array {
  let size = 8;
  for (const m of messages) {
    size += 96;
    if (m.type === 'append') for (const e of m.entries) size += e.data.byteLength + 24;
  }
  const w = new ByteWriter(size);
  w.u8(VERSION).u32(messages.length);
  for (const m of messages) writeMessage(w, m);
  return w.finish();
}

/**
 * Entries are copies: they live in the log for long, and a small received message is a slice of
 * a shared buffer pool they would pin. A snapshot's data is a view into `bytes`.
 */
export function decodeMessages(bytes: Uint8Array): Message[] {
  const r = new ByteReader(bytes);
  const version = r.u8();
  if (version !== VERSION) throw new DecodeError(`unknown raft message encoding ${version}`);
  const n = r.u32();
  const out: Message[] = [];
  for (let i = 0; i < n; i++) out.push(readMessage(r));
  r.end();
  return out;
}

function writeMessage(w: ByteWriter, m: Message): void {
  w.u8(TAG.get(m.type) ?? 255).bytes(idBytes(m.from)).bytes(idBytes(m.to)).u53(m.term);
  switch (m.type) {
    case 'pre-vote':
      w.u53(m.lastIndex).u53(m.lastTerm);
      break;
    case 'vote':
      w.u53(m.lastIndex).u53(m.lastTerm).u8(m.transfer ? 1 : 0);
      break;
    case 'pre-vote-response':
    case 'vote-response':
      w.u8(m.reject ? 1 : 0);
      break;
    case 'append':
      w.u53(m.index).u53(m.logTerm).u53(m.commit).entries(m.entries);
      break;
    case 'append-response':
      w.u53(m.index).u8(m.reject ? 1 : 0).u53(m.rejectHint).u53(m.hintTerm);
      break;
    case 'heartbeat':
      w.u53(m.commit);
      break;
    case 'snapshot': {
      const { metadata, data } = m.snapshot;
      w.u53(metadata.index).u53(metadata.term);
      w.strList(metadata.confState.voters).strList(metadata.confState.learners);
      w.bytes(data);
      break;
    }
    case 'transfer-leader':
      w.str(m.transferee);
      break;
    case 'heartbeat-response':
    case 'timeout-now':
      break;
    default:
      assertNever(m, 'raft message');
  }
}

function readMessage(r: ByteReader): Message {
  const type = MESSAGE_TYPES[r.u8()];
  if (type === undefined) throw new DecodeError('unknown raft message type');
  const from = r.str();
  const to = r.str();
  const term = r.u53();
  switch (type) {
    case 'pre-vote':
      return { type, from, to, term, lastIndex: r.u53(), lastTerm: r.u53() };
    case 'vote':
      return { type, from, to, term, lastIndex: r.u53(), lastTerm: r.u53(), transfer: r.u8() === 1 };
    case 'pre-vote-response':
    case 'vote-response':
      return { type, from, to, term, reject: r.u8() === 1 };
    case 'append': {
      const index = r.u53();
      const logTerm = r.u53();
      const commit = r.u53();
      return { type, from, to, term, index, logTerm, commit, entries: r.entries() };
    }
    case 'append-response':
      return { type, from, to, term, index: r.u53(), reject: r.u8() === 1, rejectHint: r.u53(), hintTerm: r.u53() };
    case 'heartbeat':
      return { type, from, to, term, commit: r.u53() };
    case 'heartbeat-response':
    case 'timeout-now':
      return { type, from, to, term };
    case 'snapshot': {
      const index = r.u53();
      const snapTerm = r.u53();
      const confState: ConfState = { voters: r.strList(), learners: r.strList() };
      return { type, from, to, term, snapshot: { metadata: { index, term: snapTerm, confState }, data: r.bytesView() } };
    }
    case 'transfer-leader':
      return { type, from, to, term, transferee: r.str() };
    default:
      return assertNever(type, 'raft message type');
  }
}

