// A store command as a Raft entry's data. Each op's object travels as its own wire frame (a
// msgpack bin inside the command), next to its id and (services and networks) the facts the
// store checks writes against. A manager applying the entry stores the frame as it is, a view
// into the entry, and decodes it only when something reads the object (see the store's
// encoded.ts); a snapshot copies the bytes instead of encoding the object. Entries written before
// this form hold the objects inline, or their frames without id and facts; all of them decode.
import { CHECK_WRITES, factsOf, type AppliedCommand, type CreateOp, type EncodedObject, type EncodedWriteOp, type ObjectFacts, type StoreCommand, type StoreOp, type UpdateOp } from '@shoal/store';
import { isDeepStrictEqual, inspect } from 'node:util';
import { WIRE_VERSION, decode, decodeBody, encodeBody } from '@shoal/wire';
import { MsgpackWriter, factsSize, strSize, writeFacts } from './msgpack-writer';

/** A write as an entry carries it: its object as its frame, with the id and facts beside it. */
interface WireWrite {
  op: 'create' | 'update';
  kind: StoreOp['kind'];
  object: Uint8Array;
  /** Absent in entries from before objects were applied encoded. */
  id?: string;
  facts?: ObjectFacts;
  expectVersion?: number;
}

/** An op as an entry carries it (deletes, and writes of the earliest entries, as the store's). */
type WireOp = StoreOp | WireWrite;

/**
 * A command as its entry's data, and as the manager that proposed it applies it: the store gets
 * the objects' bytes (views into `data`, as a replica decoding the entry would) and the objects
 * themselves, so the proposer decodes nothing of its own writes.
 */
export interface EncodedCommand {
  data: Uint8Array;
  applied: AppliedCommand;
}

/**
 * The entry of `command`, a wire frame of `{ type, at, ops }`, each write `{ op, kind, object: bin(frame), id,
 * facts?, expectVersion? }`. The envelope is written by hand into a buffer of its own (the entry
 * stays in the log for long, and an encoder's output is a slice of a shared buffer it would pin),
 * and each object is encoded once, then copied into it.
 */
export function encodeCommand(command: StoreCommand): EncodedCommand {
  const parts = command.ops.map(partOf);
  let size = 1 + 1 + keySize('type') + strSize(command.type) + keySize('at') + strSize(command.at) + keySize('ops') + 5;
  for (const part of parts) size += partSize(part);
  const w = new MsgpackWriter(size);
  w.byte(WIRE_VERSION).byte(0x83).fixstr('type').str(command.type).fixstr('at').str(command.at).fixstr('ops').arrayHeader(parts.length);
  const frames = parts.map((part) => writePart(w, part));
  const written = w.finish();
  const data = new Uint8Array(written.buffer, written.byteOffset, written.byteLength); // as entries read from disk or the wire are
  const ops = parts.map((part, i): AppliedCommand['ops'][number] => {
    const frame = frames[i];
    if ('raw' in part || frame === undefined || part.id === undefined) return part.op;
    // As decodeCommand gives it, plus the object itself: the store needs not decode it.
    const bytes = data.subarray(frame, frame + 1 + part.body.byteLength);
    const object: EncodedObject = { encoded: true, id: part.id, bytes, value: part.op.object, ...(part.facts && { facts: part.facts }) };
    const applied: EncodedWriteOp = { op: part.op.op, kind: part.op.kind, object };
    if (part.op.op === 'update' && part.op.expectVersion !== undefined) applied.expectVersion = part.op.expectVersion;
    return applied;
  });
  return { data, applied: { type: command.type, at: command.at, ops } };
}

/** A write with its object encoded (the frame's body) and its facts taken; or an op as the generic encoder writes it. */
type Part =
  | { op: CreateOp | UpdateOp; body: Uint8Array; id: string | undefined; facts: ObjectFacts | undefined; expect: Uint8Array | undefined }
  | { op: StoreOp; raw: Uint8Array };

function partOf(op: StoreOp): Part {
  if (op.op === 'delete') return { op, raw: encodeBody(op) };
  const id: unknown = op.object.id;
  const body = encodeBody(op.object);
  // The proposer stores its own object, every other manager what the bytes decode to. (msgpackr
  // renames a `__proto__` key and replaces a lone surrogate: the Engine API refuses the one and
  // replaces the other as Go does, before anything is written.)
  if (CHECK_WRITES && !isDeepStrictEqual(decodeBody(body), op.object)) {
    throw new Error(`a ${op.kind} object does not survive its encoding: ${inspect(op.object, { depth: 6 })}`);
  }
  return {
    op,
    body,
    id: typeof id === 'string' ? id : undefined, // no id: the entry says none, and replicas decode the object at once
    facts: typeof id === 'string' ? factsOf(op.kind, op.object) : undefined,
    expect: op.op === 'update' && op.expectVersion !== undefined ? encodeBody(op.expectVersion) : undefined,
  };
}

function partSize(part: Part): number {
  if ('raw' in part) return part.raw.byteLength;
  let size = 1 + keySize('op') + strSize(part.op.op) + keySize('kind') + strSize(part.op.kind) + keySize('object') + 5 + 1 + part.body.byteLength;
  if (part.id !== undefined) size += keySize('id') + strSize(part.id);
  if (part.facts !== undefined) size += keySize('facts') + factsSize(part.facts);
  if (part.expect !== undefined) size += keySize('expectVersion') + part.expect.byteLength;
  return size;
}

/** Writes `part`; for a write, returns where its object's frame starts. */
function writePart(w: MsgpackWriter, part: Part): number | undefined {
  if ('raw' in part) {
    w.raw(part.raw);
    return undefined;
  }
  const fields = 3 + (part.id !== undefined ? 1 : 0) + (part.facts !== undefined ? 1 : 0) + (part.expect !== undefined ? 1 : 0);
  w.byte(0x80 | fields).fixstr('op').str(part.op.op).fixstr('kind').str(part.op.kind);
  w.fixstr('object').byte(0xc6).u32(1 + part.body.byteLength);
  const frame = w.offset;
  w.byte(WIRE_VERSION).raw(part.body);
  if (part.id !== undefined) w.fixstr('id').str(part.id);
  if (part.facts !== undefined) writeFacts(w.fixstr('facts'), part.facts);
  if (part.expect !== undefined) w.fixstr('expectVersion').raw(part.expect);
  return frame;
}

function keySize(key: string): number {
  return 1 + key.length;
}

/** The command of an entry, its objects still encoded where the entry carries them so. */
export function decodeCommand(data: Uint8Array): AppliedCommand {
  const command = decode<{ type: 'batch'; at: string; ops: WireOp[] }>(data);
  const ops: AppliedCommand['ops'] = command.ops.map((op) => {
    if (op.op === 'delete' || !(op.object instanceof Uint8Array)) return op as StoreOp;
    return fromWire(op as WireWrite);
  });
  return { type: command.type, at: command.at, ops };
}

/** A write of an entry as the store applies it: its object left encoded, once the entry says its id. */
function fromWire(op: WireWrite): StoreOp | EncodedWriteOp {
  if (typeof op.id !== 'string') return { ...op, object: decode(op.object) } as StoreOp; // a frame without id and facts
  const object: EncodedObject = op.facts === undefined ? { encoded: true, id: op.id, bytes: op.object } : { encoded: true, id: op.id, facts: op.facts, bytes: op.object };
  const applied: EncodedWriteOp = { op: op.op, kind: op.kind, object };
  if (op.expectVersion !== undefined) applied.expectVersion = op.expectVersion;
  return applied;
}
