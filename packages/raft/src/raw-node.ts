// RaftNode: the application's handle on the consensus core (etcd's RawNode). Drive it with
// tick() and step(); collect work with ready(); persist, send, apply; then advance().
import type { ConfChange } from './conf-change';
import { encodeConfChange } from './conf-change';
import { RaftUsageError } from './errors';
import type { Message } from './messages';
import { applyConfChange } from './raft/membership';
import { propose, proposeConfChange, transferLeadership } from './raft/proposals';
import type { ProposeResult } from './raft/proposals';
import { Raft } from './raft/raft';
import { resolveOptions } from './raft/options';
import type { RaftNodeOptions } from './raft/options';
import type { PeerProgress, Status } from './status';
import { hardStateEqual, isEmptyHardState } from './types';
import type { ConfState, Entry, HardState, NodeId, Snapshot, SoftState } from './types';

/**
 * Work for the application. Handle in this order: persist `snapshot`, `entries` and `hardState`
 * (durably if `mustSync`); then send `messages`; then apply `snapshot` and `committedEntries` to
 * the state machine; then call advance(ready).
 */
export interface Ready {
  /** Present when term, vote or commit changed. */
  readonly hardState?: HardState;
  /** Present when leadership or role changed (informational, not persisted). */
  readonly softState?: SoftState;
  /** Entries to append to stable storage (may overwrite a conflicting suffix). */
  readonly entries: readonly Entry[];
  /** A snapshot from the leader to persist and then restore the state machine from. */
  readonly snapshot?: Snapshot;
  /** Committed entries to apply, in order. */
  readonly committedEntries: readonly Entry[];
  /** Messages to send, only after the above is persisted. */
  readonly messages: readonly Message[];
  /** False when only the commit index changed, which need not be fsynced. */
  readonly mustSync: boolean;
}

export interface BootstrapPeer {
  readonly id: NodeId;
  /** Carried in the conf-change entry (e.g. the peer's address). */
  readonly context?: Uint8Array;
}

export class RaftNode {
  private readonly raft: Raft;
  private prevSoft: SoftState;
  private prevHard: HardState;
  private outstanding: Ready | null = null;

  constructor(options: RaftNodeOptions) {
    this.raft = new Raft(resolveOptions(options));
    this.prevSoft = this.raft.softState();
    this.prevHard = this.raft.hardState();
  }

  get id(): NodeId {
    return this.raft.id;
  }

  /**
   * Starts a brand-new cluster from empty storage: writes committed `add-voter` entries for
   * `peers` (every initial member must bootstrap with the same list). A node that joins an
   * existing cluster does not bootstrap; the leader adds it and replicates the log to it.
   */
  bootstrap(peers: readonly BootstrapPeer[]): void {
    const r = this.raft;
    if (r.log.lastIndex() !== 0 || r.term !== 0) throw new RaftUsageError('bootstrap needs empty storage');
    if (peers.length === 0) throw new RaftUsageError('bootstrap needs at least one peer');
    r.becomeFollower(1, null);
    const changes: ConfChange[] = peers.map((p) =>
      p.context === undefined ? { type: 'add-voter', nodeId: p.id } : { type: 'add-voter', nodeId: p.id, context: p.context },
    );
    r.log.append(changes.map((cc, i) => ({ index: i + 1, term: 1, type: 'conf-change', data: encodeConfChange(cc) })));
    r.log.commitTo(changes.length);
    // Applied to the tracker now so the node can campaign; the application still sees the entries
    // in committedEntries and applies them again, which is idempotent.
    for (const cc of changes) applyConfChange(r, cc);
  }

  /** Advances logical time by one tick (election and heartbeat timers). */
  tick(): void {
    this.raft.tick();
  }

  /** Starts an election now (subject to pre-vote) instead of waiting for the timeout. */
  campaign(): void {
    this.raft.hup(this.raft.opts.preVote ? 'pre-vote' : 'election');
  }

  /** Feeds a message received from a peer. Messages addressed elsewhere are dropped. */
  step(m: Message): void {
    if (m.to !== this.raft.id) {
      this.raft.logger.warn({ to: m.to, from: m.from, type: m.type }, 'dropping misaddressed message');
      return;
    }
    this.raft.step(m);
  }

  /** Proposes application data. Only the leader accepts; others return the leader they know. */
  propose(data: Uint8Array): ProposeResult {
    return propose(this.raft, data);
  }

  /** Proposes a membership change; one may be pending (proposed but unapplied) at a time. */
  proposeConfChange(cc: ConfChange): ProposeResult {
    return proposeConfChange(this.raft, cc);
  }

  /** Call when applying a committed conf-change entry; returns the membership now in effect. */
  applyConfChange(cc: ConfChange): ConfState {
    return applyConfChange(this.raft, cc);
  }

  /** Asks the leader (directly or via this follower) to hand leadership to `to`. */
  transferLeadership(to: NodeId): void {
    transferLeadership(this.raft, to);
  }

  /** The leader's connection dropped: campaign within a few ticks, ignoring its lease. */
  forgetLeader(): void {
    this.raft.forgetLeader();
  }

  /** The transport could not reach `id`: stop pipelining to it and probe instead. */
  reportUnreachable(id: NodeId): void {
    const pr = this.raft.role === 'leader' ? this.raft.tracker.progress.get(id) : undefined;
    if (pr?.state === 'replicate') pr.becomeProbe();
  }

  /** Outcome of sending a snapshot to `id`; on failure the leader retries after a heartbeat. */
  reportSnapshot(id: NodeId, outcome: 'finished' | 'failed'): void {
    const pr = this.raft.role === 'leader' ? this.raft.tracker.progress.get(id) : undefined;
    if (pr?.state !== 'snapshot') return;
    if (outcome === 'failed') pr.pendingSnapshot = 0;
    pr.becomeProbe();
    // Wait for the follower's answer (or the next heartbeat) before appending again.
    pr.msgAppFlowPaused = true;
  }

  /** True if ready() would return work. False while a Ready is awaiting advance(). */
  hasReady(): boolean {
    if (this.outstanding !== null) return false;
    const r = this.raft;
    return (
      !softStateEqual(r.softState(), this.prevSoft) ||
      this.hardStateChanged() ||
      r.log.hasPendingSnapshot() ||
      r.msgs.length > 0 ||
      r.log.unstable.entries.length > 0 ||
      r.log.hasNextCommittedEntries()
    );
  }

  /** Collects pending work, or null if there is none. Each Ready must be advance()d. */
  ready(): Ready | null {
    if (this.outstanding !== null) throw new RaftUsageError('ready() called again before advance()');
    if (!this.hasReady()) return null;
    const r = this.raft;
    const soft = r.softState();
    const hard = r.hardState();
    const entries = r.log.unstableEntries();
    const snapshot = r.log.unstable.snapshot;
    const rd: Ready = {
      entries,
      committedEntries: r.log.nextCommittedEntries(),
      messages: r.msgs,
      mustSync: entries.length > 0 || snapshot !== undefined || hard.term !== this.prevHard.term || hard.vote !== this.prevHard.vote,
      ...(softStateEqual(soft, this.prevSoft) ? {} : { softState: soft }),
      ...(this.hardStateChanged() ? { hardState: hard } : {}),
      ...(snapshot === undefined ? {} : { snapshot }),
    };
    r.msgs = [];
    this.prevSoft = soft;
    this.outstanding = rd;
    return rd;
  }

  /** Acknowledges that `rd` was persisted, sent and applied. */
  advance(rd: Ready): void {
    if (rd !== this.outstanding) throw new RaftUsageError('advance() needs the Ready from the last ready() call');
    this.outstanding = null;
    if (rd.hardState !== undefined) this.prevHard = rd.hardState;
    const applied = rd.committedEntries.at(-1)?.index ?? rd.snapshot?.metadata.index ?? 0;
    this.raft.advance(applied, rd.entries.at(-1), rd.snapshot?.metadata.index);
  }

  status(): Status {
    const r = this.raft;
    const cs = r.tracker.confState();
    const progress: Record<NodeId, PeerProgress> = {};
    if (r.role === 'leader') {
      for (const [id, pr] of r.tracker.progress) {
        progress[id] = {
          match: pr.match,
          next: pr.next,
          state: pr.state,
          isLearner: pr.isLearner,
          recentActive: pr.recentActive,
          paused: pr.isPaused(),
          pendingSnapshot: pr.pendingSnapshot,
          inflight: pr.inflights.count,
        };
      }
    }
    return {
      id: r.id,
      term: r.term,
      vote: r.vote,
      lead: r.lead,
      role: r.role,
      commit: r.log.committed,
      applied: r.log.applied,
      firstIndex: r.log.firstIndex(),
      lastIndex: r.log.lastIndex(),
      voters: cs.voters,
      learners: cs.learners,
      leadTransferee: r.leadTransferee,
      progress,
    };
  }

  private hardStateChanged(): boolean {
    const hard = this.raft.hardState();
    return !isEmptyHardState(hard) && !hardStateEqual(hard, this.prevHard);
  }
}

function softStateEqual(a: SoftState, b: SoftState): boolean {
  return a.lead === b.lead && a.role === b.role;
}
