// One simulated server: a RaftNode, its storage, and a tiny replicated state machine (the list of
// applied payloads plus a running hash), driven exactly as a real shell drives the core.
import { decodeConfChange } from '../conf-change';
import type { Message } from '../messages';
import type { ProposeResult } from '../raft/proposals';
import type { RaftNodeOptions } from '../raft/options';
import { RaftNode } from '../raw-node';
import type { Ready } from '../raw-node';
import type { RaftStorage } from '../storage/storage';
import type { ConfState, Entry, NodeId, Snapshot } from '../types';
import { EMPTY_CONF_STATE } from '../types';
import type { Random } from '../rand';

export interface ApplyObserver {
  /** Called after applying the entry at `index`; `hash` summarises the state machine. */
  onApply(node: NodeId, index: number, hash: number): void;
  /** Called after restoring the state machine from a snapshot at `index`. */
  onRestore(node: NodeId, index: number, hash: number): void;
}

export type SimRaftOptions = Partial<Omit<RaftNodeOptions, 'id' | 'storage' | 'random'>>;

export interface SimNodeOptions {
  readonly id: NodeId;
  /** Returns the node's storage; called again on restart (a file storage reopens its directory). */
  readonly openStorage: () => RaftStorage;
  readonly random: Random;
  readonly raft?: SimRaftOptions;
  readonly observer?: ApplyObserver;
}

const decoder = new TextDecoder();
const encoder = new TextEncoder();

export class SimNode {
  readonly id: NodeId;
  storage!: RaftStorage;
  node!: RaftNode;
  alive = true;
  /** The state machine: payloads of applied normal entries, in order. */
  values: string[] = [];
  appliedIndex = 0;
  hash = 0;
  confState: ConfState = EMPTY_CONF_STATE;
  /** Every Ready processed, for tests that inspect what the core asked for. */
  readonly readyLog: Ready[] = [];
  keepReadyLog = false;

  constructor(private readonly options: SimNodeOptions) {
    this.id = options.id;
    this.start();
  }

  /** (Re)creates the core from durable storage, as a restarted process would. */
  start(): void {
    this.storage = this.options.openStorage();
    this.node = new RaftNode({ ...this.options.raft, id: this.id, storage: this.storage, random: this.options.random });
    this.restoreState(this.storage.snapshot());
    this.confState = this.storage.initialState().confState;
    this.alive = true;
  }

  /** Loses all volatile state; only what storage made durable survives. */
  crash(): void {
    this.alive = false;
    this.storage.close();
  }

  restart(): void {
    if (this.alive) this.crash();
    this.start();
  }

  tick(): void {
    if (this.alive) this.node.tick();
  }

  step(m: Message): void {
    if (this.alive) this.node.step(m);
  }

  propose(value: string): ProposeResult {
    return this.node.propose(encoder.encode(value));
  }

  /** Handles one Ready the way a shell must: persist, send, apply, advance. */
  handleReady(): Message[] {
    if (!this.alive) return [];
    const rd = this.node.ready();
    if (rd === null) return [];
    if (this.keepReadyLog) this.readyLog.push(rd);
    this.storage.save({ hardState: rd.hardState, entries: rd.entries, snapshot: rd.snapshot, mustSync: rd.mustSync });
    // (A real shell sends rd.messages here, after the save and before applying.)
    if (rd.snapshot !== undefined) {
      this.restoreState(rd.snapshot);
      this.confState = rd.snapshot.metadata.confState;
    }
    for (const e of rd.committedEntries) this.apply(e);
    this.node.advance(rd);
    return [...rd.messages];
  }

  /** Takes an application snapshot at the applied index and compacts all but `keep` entries. */
  snapshotAndCompact(keep: number): boolean {
    if (!this.alive || this.appliedIndex <= this.storage.snapshot().metadata.index) return false;
    const data = encoder.encode(JSON.stringify({ values: this.values, hash: this.hash }));
    const snap = this.storage.createSnapshot(this.appliedIndex, this.confState, data);
    const target = snap.metadata.index - keep;
    if (target >= this.storage.firstIndex()) this.storage.compact(target);
    return true;
  }

  private apply(e: Entry): void {
    if (e.type === 'conf-change') {
      this.confState = this.node.applyConfChange(decodeConfChange(e.data));
    } else if (e.data.byteLength > 0) {
      this.values.push(decoder.decode(e.data));
    }
    this.appliedIndex = e.index;
    this.hash = mix(this.hash, `${e.index}/${e.term}/${e.type}/${decoder.decode(e.data)}`);
    this.options.observer?.onApply(this.id, e.index, this.hash);
  }

  private restoreState(snap: Snapshot): void {
    if (snap.metadata.index === 0) {
      this.values = [];
      this.hash = 0;
      this.appliedIndex = 0;
      return;
    }
    const state = JSON.parse(decoder.decode(snap.data)) as { values: string[]; hash: number };
    this.values = state.values;
    this.hash = state.hash;
    this.appliedIndex = snap.metadata.index;
    this.options.observer?.onRestore(this.id, snap.metadata.index, this.hash);
  }
}

/** FNV-1a over a string, chained from the previous hash. */
function mix(h: number, s: string): number {
  let x = (h ^ 0x811c9dc5) >>> 0;
  for (let i = 0; i < s.length; i++) x = Math.imul(x ^ s.charCodeAt(i), 0x01000193) >>> 0;
  return x;
}
