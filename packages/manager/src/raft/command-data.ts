// A store command as a Raft entry's data. Each op's object travels as its own wire frame (a
// msgpack bin inside the command), so the bytes every manager decodes it from can be kept as the
// object's encoding for later snapshots (SnapshotCodec.remember): a snapshot then copies bytes
// instead of encoding the objects written since the last one, which was most of what a snapshot
// cost a manager. Entries written before this form hold the objects inline; both decode.
import type { StoreCommand, StoreOp } from '@shoal/store';
import { decode, encode } from '@shoal/wire';

export interface DecodedCommand {
  command: StoreCommand;
  /** The wire frame each op's object was decoded from (a view into the entry), by op position. */
  bodies: Array<Uint8Array | undefined>;
}

export function encodeCommand(command: StoreCommand): Uint8Array {
  const ops = command.ops.map((op) => (op.op === 'delete' ? op : { ...op, object: encode(op.object) }));
  // Its own buffer: the entry stays in the log for long, and a small encode is a slice of a
  // shared 8 KiB pool it would pin.
  return new Uint8Array(encode({ ...command, ops }));
}

export function decodeCommand(data: Uint8Array): DecodedCommand {
  const command = decode<StoreCommand>(data);
  const bodies: Array<Uint8Array | undefined> = [];
  for (const op of command.ops as Array<StoreOp & { object?: unknown }>) {
    if (op.object instanceof Uint8Array) {
      bodies.push(op.object);
      op.object = decode(op.object);
    } else bodies.push(undefined);
  }
  return { command, bodies };
}
