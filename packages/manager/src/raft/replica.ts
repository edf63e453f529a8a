// The Raft shell of a manager: drives the pure consensus core with real time, persists
// each Ready before sending its messages, applies committed commands to the
// MemoryStore, snapshots the store, and resolves proposals once they are applied.
// It is the manager's Proposer once Raft runs.
import { randomInt } from 'node:crypto';
import {
  FileStorage,
  RaftNode,
  type AtRestCipher,
  createRandom,
  decodeConfChange,
  type ConfChange,
  type ConfState,
  type Entry,
  type Message,
  type RaftStorage,
  type Ready,
  type Status,
} from '@shoal/raft';
import {
  UnavailableError,
  resultToEvents,
  type MemoryStore,
  type Proposer,
  type StoreCommand,
  type StoreEvent,
} from '@shoal/store';
import { decode, encode } from '@shoal/wire';
import type { Logger } from 'pino';
import type { RaftView } from '../raft-view';
import { CommitNoticeDelay } from './commit-notices';
import { decodeCommand, encodeCommand, type EncodedCommand } from './command-data';
import { SnapshotCodec } from './snapshot-data';

export const NO_LEADER_MESSAGE =
  "The swarm does not have a leader. It's possible that too few managers are online. Make sure more than half of the managers are online.";

/**
 * The applied index of a manager's next snapshot: every `interval` entries, voter k of n at
 * k/n of the interval (a learner, rank -1, and a lone manager at 0), and never sooner than half
 * an interval after the last one. Managers that snapshot at the same index encode at the same time, and
 * while each yields its event loop to the encoding every write in the cluster waits on them (with
 * 64 writers, ~0.5 s in which commits nearly stop, at each interval); staggered, a quorum always
 * has a member that is not encoding.
 */
export function nextSnapshotIndex(last: number, interval: number, rank: number, voters: number): number {
  // Every voter snaps back to its phase, so lateness (a snapshot is taken a little past its
  // index) never accumulates and the phases stay apart.
  const phase = rank <= 0 || voters <= 1 ? 0 : Math.floor((rank * interval) / voters);
  const from = last + Math.ceil(interval / 2);
  return Math.ceil((from - phase) / interval) * interval + phase;
}

export interface ReplicaTransport {
  send(messages: readonly Message[], peers: ReadonlyMap<string, string>): void;
}

export interface ReplicaOptions {
  nodeId: string;
  /** `$SHOAL_HOME/raft`. */
  dir: string;
  store: MemoryStore;
  transport: ReplicaTransport;
  logger: Logger;
  tickMs?: number;
  electionTick?: number;
  heartbeatTick?: number;
  /** Entries between snapshots; read on every check so `swarm update --snapshot-interval` applies at once. */
  snapshotInterval?: () => number;
  /** Raft.KeepOldSnapshots: snapshot files kept besides the newest (Shoal keeps at least one, as a spare). */
  keepOldSnapshots?: () => number;
  /** How long an entry-less append (a commit notice) may wait to be overtaken by the next append; 0 sends at once. */
  commitNoticeDelayMs?: number;
  /**
   * Appends in flight to one follower before the leader waits for an answer (etcd: 256). One:
   * proposals that arrive during a round trip go out together in the next append, so under load
   * every manager handles fewer, larger batches (fewer sends, wake-ups and fsyncs). Measured with
   * 64 clients on 2 vCPUs: ~5,200 against ~4,600 writes/s; one client: no change. Each append
   * still carries up to 1 MiB of entries, so a lagging follower catches up in few round trips.
   */
  maxInflightAppends?: number;
  /** Entries kept behind a snapshot for slow followers (swarmkit: 500). */
  keepEntries?: number;
  /** Leadership changed (lead is null while there is none). */
  onLeaderChange?: (lead: string | null, term: number) => void;
  /** Membership changed (after a conf-change entry or a snapshot). */
  onMembershipChange?: () => void;
  /** Data-encryption key of the raft data (autolock); without one nothing is sealed. */
  cipher?: AtRestCipher;
}

interface Pending {
  term: number;
  resolve: (events: StoreEvent[]) => void;
  reject: (err: Error) => void;
  /** A command this manager proposed, as its entry and as it applies. */
  own?: EncodedCommand;
}

export class RaftReplica implements Proposer, RaftView {
  readonly storage: RaftStorage;
  private readonly fileStorage: FileStorage;
  private node: RaftNode;
  private readonly peers = new Map<string, string>();
  private readonly pending = new Map<number, Pending>();
  private confState: ConfState;
  private lead: string | null = null;
  /** Term and vote last written: a Ready that changes them must be durable before anything is sent. */
  private term = 0;
  private ticker: NodeJS.Timeout | null = null;
  private processing = false;
  /** A leader's Ready whose entries are being fsynced off the event loop. */
  private persisting = false;
  private scheduled = false;
  private savedVote: string | null = null;
  /** The latest snapshot's index, ours or one installed from the leader: storage records both. */
  private get snapshotIndex(): number {
    return this.storage.snapshot().metadata.index;
  }
  /** A snapshot file is being written. */
  private snapshotting = false;
  /** This manager's rank among the sorted voters of `rankOf` (nextSnapshotAt); -1 if not a voter. */
  private rank = -1;
  private rankOf: ConfState | null = null;
  /** After a failed snapshot, no new attempt before this applied index. */
  private snapshotRetryIndex = 0;
  private stopped = false;
  private readonly snapshots = new SnapshotCodec();
  private readonly notices: CommitNoticeDelay;

  constructor(private readonly options: ReplicaOptions) {
    this.fileStorage = FileStorage.open(options.dir, options.cipher ? { cipher: options.cipher } : {});
    this.storage = this.fileStorage;
    const snap = this.storage.snapshot();
    if (snap.metadata.index > 0) {
      const data = this.snapshots.decode(snap.data);
      options.store.restore(data.store);
      for (const [id, addr] of Object.entries(data.peers)) this.peers.set(id, addr);
    }
    const initial = this.storage.initialState();
    this.confState = initial.confState;
    this.term = initial.hardState.term;
    this.savedVote = initial.hardState.vote;
    this.node = this.newNode(snap.metadata.index);
    this.notices = new CommitNoticeDelay(options.commitNoticeDelayMs ?? 5, (messages) => options.transport.send(messages, this.peers));
  }

  private newNode(applied: number): RaftNode {
    return new RaftNode({
      id: this.options.nodeId,
      storage: this.storage,
      random: createRandom(randomInt(2 ** 31)),
      electionTick: this.options.electionTick ?? 10,
      heartbeatTick: this.options.heartbeatTick ?? 1,
      maxInflightMsgs: this.options.maxInflightAppends ?? 1,
      applied,
    });
  }

  /** Seals the raft data at rest from now on (rewriting what is on disk), or stops sealing it. */
  setEncryptionAtRest(on: boolean): void {
    if (this.stopped || !this.fileStorage.setEncryption(on)) return;
    this.options.logger.info({ on }, on ? 'raft data now encrypted at rest' : 'raft data no longer encrypted at rest');
  }

  /** A brand-new single-manager cluster (swarm init). */
  bootstrap(addr: string): void {
    this.node.bootstrap([{ id: this.options.nodeId, context: encode({ addr }) }]);
  }

  get isEmpty(): boolean {
    return this.storage.lastIndex() === 0 && this.snapshotIndex === 0;
  }

  start(): void {
    this.applySnapshotRetention(); // snapshots installed from the leader are kept to the same count
    const tickMs = this.options.tickMs ?? 100;
    this.ticker = setInterval(() => {
      this.node.tick();
      this.process();
    }, tickMs);
    this.process();
  }

  stop(): void {
    this.stopped = true;
    if (this.ticker) clearInterval(this.ticker);
    this.ticker = null;
    this.notices.stop();
    this.failPending(new UnavailableError('manager is shutting down'));
    this.storage.close();
  }

  // ---- views ----

  get selfId(): string {
    return this.options.nodeId;
  }

  status(): Status {
    return this.node.status();
  }
  get leader(): string | null {
    return this.lead;
  }
  get isLeader(): boolean {
    return this.lead === this.options.nodeId;
  }
  /** Raft members (voters and learners) and their 2377 addresses. */
  members(): { voters: readonly string[]; learners: readonly string[]; addrs: ReadonlyMap<string, string> } {
    return { voters: this.confState.voters, learners: this.confState.learners, addrs: this.peers };
  }

  // ---- inputs ----

  step(messages: readonly Message[]): void {
    if (this.stopped) return;
    for (const m of messages) this.node.step(m);
    this.schedule();
  }

  /** The connection to `addr` dropped; if it is the leader's, stop waiting out its lease. */
  peerDisconnected(addr: string): void {
    for (const [id, a] of this.peers) {
      if (a === addr && id === this.lead && id !== this.options.nodeId) {
        this.node.forgetLeader();
        this.schedule();
      }
    }
  }

  reportUnreachable(id: string): void {
    this.node.reportUnreachable(id);
  }
  reportSnapshot(id: string, outcome: 'finished' | 'failed'): void {
    this.node.reportSnapshot(id, outcome);
  }

  propose(command: StoreCommand): Promise<StoreEvent[]> {
    let own: EncodedCommand;
    try {
      own = encodeCommand(command);
    } catch (err) {
      return Promise.reject(err as Error); // as a refused write: callers handle rejections
    }
    const res = this.node.propose(own.data);
    if (!res.ok) return Promise.reject(this.rejection(res.leader));
    return new Promise((resolve, reject) => {
      this.pending.set(res.index, { term: res.term, resolve, reject, own });
      this.schedule();
    });
  }

  /** Proposes a membership change; resolves once it is applied here. */
  changeMembership(change: Omit<ConfChange, 'context'> & { addr?: string }): Promise<void> {
    const cc = { type: change.type, nodeId: change.nodeId, ...(change.addr ? { context: encode({ addr: change.addr }) } : {}) } as ConfChange;
    const res = this.node.proposeConfChange(cc);
    if (!res.ok) {
      return Promise.reject(res.reason === 'conf-change-pending' ? new UnavailableError('a membership change is already in progress') : this.rejection(res.leader));
    }
    return new Promise((resolve, reject) => {
      this.pending.set(res.index, { term: res.term, resolve: () => resolve(), reject });
      this.schedule();
    });
  }

  /** Addresses learned outside the log (a Join answer), so a new member can answer its leader. */
  learnPeers(peers: ReadonlyArray<{ nodeId: string; addr: string }>): void {
    for (const p of peers) if (!this.peers.has(p.nodeId)) this.peers.set(p.nodeId, p.addr);
  }

  transferLeadership(to: string): void {
    this.node.transferLeadership(to);
    this.schedule();
  }

  campaign(): void {
    this.node.campaign();
    this.schedule();
  }

  // ---- the Ready loop ----

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.process();
    });
  }

  private process(): void {
    if (this.processing || this.persisting || this.stopped) return;
    this.processing = true;
    try {
      for (let rd = this.node.ready(); rd; rd = this.node.ready()) {
        if (this.leaderFastPath(rd)) this.handleAsync(rd);
        else if (rd.mustSync && !rd.snapshot) this.handleDurableFirst(rd);
        else this.handle(rd);
        if (this.persisting) break;
      }
    } finally {
      this.processing = false;
    }
  }

  /**
   * A leader may send its new entries before they are durable on its own disk (Raft thesis
   * §10.2.1): the core counts the leader toward a quorum only at advance(), which waits for the
   * fsync. Not when term or vote changed, which must be durable before any message leaves.
   */
  private leaderFastPath(rd: Ready): boolean {
    const lead = rd.softState ? rd.softState.lead : this.lead;
    if (lead !== this.options.nodeId || rd.snapshot || rd.entries.length === 0) return false;
    return !rd.hardState || (rd.hardState.term === this.term && rd.hardState.vote === this.savedVote);
  }

  private handle(rd: Ready): void {
    this.save(rd, rd.mustSync);
    if (rd.snapshot) this.restoreSnapshot(rd.snapshot.data, rd.snapshot.metadata.index, rd.snapshot.metadata.confState, rd.softState?.lead ?? this.lead);
    // Apply before sending: the API calls waiting on these entries answer sooner, and nothing
    // sent here (commit notices, heartbeat answers) depends on what is applied.
    this.applyCommitted(rd);
    this.send(rd);
    this.advance(rd);
  }

  /** The leader's fast path: send, write, apply what is already committed, fsync on the pool, then advance. */
  private handleAsync(rd: Ready): void {
    // Send first: the followers' fsyncs, not this write, are the critical path.
    this.send(rd);
    this.save(rd, false);
    this.applyCommitted(rd);
    this.whenDurable(() => this.advance(rd));
  }

  /**
   * Everyone else must be durable before answering (an acknowledged entry or a granted vote
   * must survive a crash), but need not block the event loop meanwhile: write, fsync on libuv's
   * pool, then send, apply and advance. Messages that arrive during the fsync are stepped and
   * go out with the next Ready, which batches them.
   */
  private handleDurableFirst(rd: Ready): void {
    this.save(rd, false);
    this.whenDurable(() => {
      this.send(rd);
      this.applyCommitted(rd);
      this.advance(rd);
    });
  }

  /** Fsyncs what was saved on libuv's pool; no Ready is taken meanwhile; then `then`, and the loop resumes. */
  private whenDurable(then: () => void): void {
    this.persisting = true;
    this.storage.sync((err) => {
      this.persisting = false;
      if (this.stopped) return;
      if (err) {
        this.options.logger.fatal({ err }, 'raft WAL fsync failed; stopping');
        throw err; // as a failed synchronous write would: the process must not go on
      }
      then();
      this.process();
    });
  }

  private save(rd: Ready, mustSync: boolean): void {
    this.storage.save({ hardState: rd.hardState, entries: rd.entries, snapshot: rd.snapshot, mustSync });
    if (rd.hardState) {
      this.term = rd.hardState.term;
      this.savedVote = rd.hardState.vote;
    }
  }

  private send(rd: Ready): void {
    if (rd.messages.length > 0) this.notices.submit(rd.messages);
  }

  private applyCommitted(rd: Ready): void {
    for (const entry of rd.committedEntries) this.apply(entry);
    if (rd.softState) this.onSoftState(rd.softState.lead);
  }

  private advance(rd: Ready): void {
    this.node.advance(rd);
    this.maybeSnapshot();
  }

  private apply(entry: Entry): void {
    const { store } = this.options;
    if (entry.index <= store.appliedIndex) return; // already in the restored snapshot
    const waiter = this.pending.get(entry.index);
    let outcome: { events?: StoreEvent[]; error?: Error } = {};
    if (entry.type === 'conf-change') {
      this.applyConfChange(decodeConfChange(entry.data));
      store.skip(entry.index);
    } else if (entry.data.byteLength === 0) {
      store.skip(entry.index); // a new leader's no-op
    } else {
      try {
        // The entry this manager proposed (the very bytes: not one a later leader put at its index)
        // applies as proposed, its objects already at hand; any other decodes.
        const command = waiter?.own !== undefined && waiter.own.data === entry.data ? waiter.own.applied : decodeCommand(entry.data);
        outcome = { events: resultToEvents(store.apply(entry.index, command)) };
      } catch (err) {
        outcome = { error: err as Error };
      }
    }
    if (!waiter) return;
    this.pending.delete(entry.index);
    if (waiter.term !== entry.term) waiter.reject(new UnavailableError('leadership changed before the change was committed; retry'));
    else if (outcome.error) waiter.reject(outcome.error);
    else waiter.resolve(outcome.events ?? []);
  }

  private applyConfChange(cc: ConfChange): void {
    this.confState = this.node.applyConfChange(cc);
    if (cc.type === 'remove-node') this.peers.delete(cc.nodeId);
    else if (cc.context) this.peers.set(cc.nodeId, decode<{ addr: string }>(cc.context).addr);
    this.options.logger.info({ change: cc.type, nodeId: cc.nodeId, voters: this.confState.voters, learners: this.confState.learners }, 'raft membership changed');
    this.options.onMembershipChange?.();
  }

  private restoreSnapshot(data: Uint8Array, index: number, confState: ConfState, lead: string | null): void {
    const snap = this.snapshots.decode(data);
    this.options.store.restore(snap.store);
    const known = new Map(this.peers);
    this.peers.clear();
    for (const [id, addr] of Object.entries(snap.peers)) this.peers.set(id, addr);
    // A leader sends its newest snapshot, which names the addresses it knew when it was taken:
    // it may predate the leader itself (a manager that joined later, or a cluster rebuilt by
    // --force-new-cluster). A member, or the leader, the snapshot does not name keeps the address
    // learned otherwise (the Join answer); without the leader's, a new member could never answer it.
    for (const id of [...confState.voters, ...confState.learners, ...(lead === null ? [] : [lead])]) {
      const addr = known.get(id);
      if (addr !== undefined && !this.peers.has(id)) this.peers.set(id, addr);
    }
    // The leader that sent it is reachable where we know it now, whatever an older snapshot says.
    const leadAddr = lead === null ? undefined : known.get(lead);
    if (lead !== null && leadAddr !== undefined) this.peers.set(lead, leadAddr);
    this.confState = confState;
    this.options.logger.info({ index }, 'installed raft snapshot');
    this.options.onMembershipChange?.();
  }

  /**
   * Snapshots the store every `snapshotInterval` entries. The state is captured here, at the
   * applied index, and encoded a few milliseconds at a time between other work; the file
   * (megabytes with a large store) is written and fsynced off the loop, and the log is compacted
   * once it is recorded. One snapshot at a time.
   */
  private maybeSnapshot(): void {
    const applied = this.options.store.appliedIndex;
    const interval = this.options.snapshotInterval?.() ?? 10_000;
    if (this.snapshotting || applied < this.nextSnapshotAt(interval) || applied < this.snapshotRetryIndex) return;
    this.snapshotting = true;
    this.applySnapshotRetention();
    const confState = this.confState;
    this.snapshots
      .encodeAsync(this.options.store, this.peers)
      .then((data) => {
        // Stopped, or a leader's snapshot at or past this index was installed meanwhile.
        if (this.stopped || this.snapshotIndex >= applied) return null;
        return this.storage.createSnapshotAsync(applied, confState, data);
      })
      .then(
        (snap) => {
          this.snapshotting = false;
          if (!snap || this.stopped) return; // a leader's snapshot was installed meanwhile
          // Keep entries for slow followers (swarmkit: 500), but never more than half an interval.
          const keep = Math.min(this.options.keepEntries ?? 500, Math.floor(interval / 2));
          const compactTo = applied - keep; // the snapshot just recorded is at `applied`
          if (compactTo > this.storage.firstIndex()) this.storage.compact(compactTo);
        },
        (err: unknown) => {
          this.snapshotting = false;
          if (this.stopped) return;
          // The log still holds every entry; try again a tenth of an interval later.
          this.snapshotRetryIndex = applied + Math.ceil(interval / 10);
          this.options.logger.error({ err, index: applied }, 'raft snapshot failed');
        },
      );
  }

  /** Raft.KeepOldSnapshots old snapshot files besides the newest, and always one spare. */
  private applySnapshotRetention(): void {
    this.fileStorage.setKeepSnapshots(1 + Math.max(1, this.options.keepOldSnapshots?.() ?? 0));
  }

  /** This manager's next snapshot index: its rank among the voters sets its phase (nextSnapshotIndex). */
  private nextSnapshotAt(interval: number): number {
    // Asked after every Ready; the rank only changes with the membership.
    if (this.rankOf !== this.confState) {
      this.rankOf = this.confState;
      this.rank = [...this.confState.voters].sort().indexOf(this.options.nodeId);
    }
    return nextSnapshotIndex(this.snapshotIndex, interval, this.rank, this.confState.voters.length);
  }

  private onSoftState(lead: string | null): void {
    if (lead === this.lead) return;
    const was = this.lead;
    this.lead = lead;
    this.options.logger.info({ lead, previous: was }, lead ? 'raft leader elected' : 'raft leader lost');
    if (was === this.options.nodeId) this.failPending(new UnavailableError('lost leadership before the change was committed; retry'));
    this.options.onLeaderChange?.(lead, this.term);
  }

  private failPending(err: Error): void {
    for (const p of this.pending.values()) p.reject(err);
    this.pending.clear();
  }

  private rejection(leader: string | null): Error {
    return new UnavailableError(leader ? `this manager is not the leader (leader: ${leader})` : NO_LEADER_MESSAGE);
  }
}

