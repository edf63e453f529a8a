// Single-server membership changes. A change is proposed as a `conf-change` entry and takes effect
// on each node when the application applies that entry (RaftNode.applyConfChange).
import { ByteReader, ByteWriter } from './codec';
import type { NodeId } from './types';

/** Add a voter, or promote an existing learner. */
export interface AddVoter {
  readonly type: 'add-voter';
  readonly nodeId: NodeId;
  /** Opaque application data (e.g. the manager's address), replicated with the change. */
  readonly context?: Uint8Array;
}

/** Add a non-voting learner (how a new manager joins), or demote an existing voter. */
export interface AddLearner {
  readonly type: 'add-learner';
  readonly nodeId: NodeId;
  readonly context?: Uint8Array;
}

export interface RemoveNode {
  readonly type: 'remove-node';
  readonly nodeId: NodeId;
  readonly context?: Uint8Array;
}

export type ConfChange = AddVoter | AddLearner | RemoveNode;

const FORMAT_VERSION = 1;
const TAGS = { 'add-voter': 1, 'add-learner': 2, 'remove-node': 3 } as const;

export function encodeConfChange(cc: ConfChange): Uint8Array {
  return new ByteWriter(64)
    .u8(FORMAT_VERSION)
    .u8(TAGS[cc.type])
    .str(cc.nodeId)
    .bytes(cc.context ?? new Uint8Array(0))
    .finish();
}

export function decodeConfChange(data: Uint8Array): ConfChange {
  const r = new ByteReader(data);
  const version = r.u8();
  if (version !== FORMAT_VERSION) throw new RangeError(`unknown conf change version ${version}`);
  const tag = r.u8();
  const nodeId = r.str();
  const ctx = r.bytes();
  r.end();
  const context = ctx.byteLength > 0 ? { context: ctx } : {};
  switch (tag) {
    case TAGS['add-voter']:
      return { type: 'add-voter', nodeId, ...context };
    case TAGS['add-learner']:
      return { type: 'add-learner', nodeId, ...context };
    case TAGS['remove-node']:
      return { type: 'remove-node', nodeId, ...context };
    default:
      throw new RangeError(`unknown conf change tag ${tag}`);
  }
}
