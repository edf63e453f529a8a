// A store command as a Raft entry's data. Each op's object travels as its own wire frame (a
// msgpack bin inside the command), next to its id and (services and networks) the facts the
// store checks writes against. A manager applying the entry stores the frame as it is, a view
// into the entry, and decodes it only when something reads the object (see the store's
// encoded.ts); a snapshot copies the bytes instead of encoding the object. Entries written before
// this form hold the objects inline, or their frames without id and facts; all of them decode.
import { factsOf, type AppliedCommand, type EncodedObject, type EncodedWriteOp, type ObjectFacts, type StoreCommand, type StoreOp } from '@shoal/store';
import { decode, encode } from '@shoal/wire';

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

export function encodeCommand(command: StoreCommand): Uint8Array {
  const ops = command.ops.map((op): WireOp => {
    if (op.op === 'delete') return op;
    const wire: WireWrite = { ...op, object: encode(op.object), id: op.object.id };
    const facts = factsOf(op.kind, op.object);
    if (facts) wire.facts = facts;
    return wire;
  });
  // Its own buffer: the entry stays in the log for long, and a small encode is a slice of a
  // shared 8 KiB pool it would pin.
  return new Uint8Array(encode({ ...command, ops }));
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
