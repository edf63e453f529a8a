// The Raft state machine (etcd's `raft` struct): terms, roles, elections and message dispatch.
// It performs no I/O: outgoing messages collect in `msgs`, and RaftNode turns the changes into
// a Ready for the shell to persist, send and apply.
import { assertNever } from '../assert-never';
import { RaftInvariantError } from '../errors';
import { RaftLog } from '../log/raft-log';
import type { RaftLogger } from '../logger';
import type { Message, OutgoingMessage, PreVoteRequest, VoteRequest } from '../messages';
import { randomInt } from '../rand';
import { ProgressTracker } from '../tracker/progress-tracker';
import type { VoteResult } from '../tracker/progress-tracker';
import type { Entry, EntryType, HardState, NodeId, Role, SoftState } from '../types';
import type { ResolvedRaftOptions } from './options';
import { bcastAppend, bcastHeartbeat } from './replication';
import { stepCandidate, stepFollower } from './step-follower';
import { stepLeader } from './step-leader';

export type CampaignKind = 'pre-vote' | 'election' | 'transfer';

const NO_DATA = new Uint8Array(0);

export class Raft {
  readonly id: NodeId;
  readonly log: RaftLog;
  readonly logger: RaftLogger;
  tracker: ProgressTracker;
  term = 0;
  vote: NodeId | null = null;
  lead: NodeId | null = null;
  role: Role = 'follower';
  /** Outbox, drained into each Ready. */
  msgs: Message[] = [];
  electionElapsed = 0;
  heartbeatElapsed = 0;
  randomizedElectionTimeout = 0;
  /** Latest conf change this leader proposed; another may be proposed once it is applied. */
  pendingConfIndex = 0;
  leadTransferee: NodeId | null = null;
  /**
   * A timeout-now arrived while committed conf changes were unapplied (typically the very
   * change that removed the old leader, whose commit index came in the same batch): campaign
   * once the application has applied them. Cleared by any term or leader change.
   */
  campaignWhenApplied = false;

  constructor(readonly opts: ResolvedRaftOptions) {
    this.id = opts.id;
    this.logger = opts.logger;
    const { hardState, confState } = opts.storage.initialState();
    this.log = new RaftLog(opts.storage, opts.maxCommittedSizePerReady);
    this.tracker = ProgressTracker.fromConfState(confState, opts.maxInflightMsgs, this.log.lastIndex());
    // The application restores its state machine from the storage snapshot, so that is where
    // applying resumes unless told otherwise. (After compact(j) below the snapshot index,
    // firstIndex - 1 is not the snapshot index.)
    const snapshotIndex = opts.storage.snapshot().metadata.index;
    this.loadHardState(hardState, snapshotIndex);
    this.log.appliedTo(opts.applied > 0 ? opts.applied : snapshotIndex);
    this.becomeFollower(this.term, null);
  }

  hardState(): HardState {
    return { term: this.term, vote: this.vote, commit: this.log.committed };
  }

  softState(): SoftState {
    return { lead: this.lead, role: this.role };
  }

  /** A voter with no snapshot pending may campaign; learners and removed nodes never do. */
  promotable(): boolean {
    const pr = this.tracker.progress.get(this.id);
    return pr !== undefined && !pr.isLearner && !this.log.hasPendingSnapshot();
  }

  // ---- time --------------------------------------------------------------------------------

  tick(): void {
    if (this.role === 'leader') this.tickHeartbeat();
    else this.tickElection();
  }

  private tickElection(): void {
    this.electionElapsed++;
    if (this.promotable() && this.electionElapsed >= this.randomizedElectionTimeout) {
      this.electionElapsed = 0;
      this.hup(this.opts.preVote ? 'pre-vote' : 'election');
    }
  }

  /**
   * The transport saw the leader's connection drop (e.g. its process died): stop
   * honouring its lease and campaign within a few ticks instead of a full election
   * timeout. Safe: the lease only suppresses disruption; votes still follow the log.
   */
  forgetLeader(): void {
    if (this.role !== 'follower' || this.lead === null) return;
    const lead = this.lead;
    this.logger.info({ lead, term: this.term }, 'leader connection lost: campaigning early');
    this.lead = null;
    // Stagger by rank among the surviving voters (2 ticks apart) so they don't split the vote.
    const rank = [...this.tracker.voters].filter((id) => id !== lead).sort().indexOf(this.id);
    const soon = 1 + 2 * Math.max(0, rank);
    this.electionElapsed = Math.max(this.electionElapsed, this.randomizedElectionTimeout - soon);
  }

  private tickHeartbeat(): void {
    this.heartbeatElapsed++;
    this.electionElapsed++;
    if (this.electionElapsed >= this.opts.electionTick) {
      this.electionElapsed = 0;
      if (this.opts.checkQuorum) this.checkQuorumActive();
      // A transfer that has not completed within an election timeout is abandoned.
      if (this.role === 'leader' && this.leadTransferee !== null) this.abortLeaderTransfer();
    }
    if (this.role !== 'leader') return;
    if (this.heartbeatElapsed >= this.opts.heartbeatTick) {
      this.heartbeatElapsed = 0;
      bcastHeartbeat(this);
    }
  }

  private checkQuorumActive(): void {
    if (!this.tracker.quorumActive()) {
      this.logger.warn({ term: this.term }, 'stepping down: quorum not heard from within election timeout');
      this.becomeFollower(this.term, null);
    }
    for (const [id, pr] of this.tracker.progress) if (id !== this.id) pr.recentActive = false;
  }

  // ---- role transitions --------------------------------------------------------------------

  becomeFollower(term: number, lead: NodeId | null): void {
    this.reset(term);
    this.lead = lead;
    this.role = 'follower';
  }

  private becomeCandidate(): void {
    if (this.role === 'leader') throw new RaftInvariantError('invalid transition leader -> candidate');
    this.reset(this.term + 1);
    this.vote = this.id;
    this.role = 'candidate';
  }

  private becomePreCandidate(): void {
    if (this.role === 'leader') throw new RaftInvariantError('invalid transition leader -> pre-candidate');
    // Neither term nor vote change: a pre-vote commits to nothing.
    this.tracker.resetVotes();
    this.lead = null;
    this.role = 'pre-candidate';
  }

  becomeLeader(): void {
    if (this.role === 'follower') throw new RaftInvariantError('invalid transition follower -> leader');
    this.reset(this.term);
    this.lead = this.id;
    this.role = 'leader';
    const self = this.tracker.progress.get(this.id);
    if (self !== undefined) {
      self.becomeReplicate();
      self.recentActive = true;
    }
    // Unapplied entries of earlier terms may hide a conf change; treat one as pending.
    this.pendingConfIndex = this.log.lastIndex();
    // Committing an entry of our own term is what commits (and reveals) everything before it.
    this.appendEntries([{ type: 'normal', data: NO_DATA }]);
    this.logger.info({ term: this.term }, 'became leader');
  }

  private reset(term: number): void {
    if (this.term !== term) {
      this.term = term;
      this.vote = null;
    }
    this.lead = null;
    this.electionElapsed = 0;
    this.heartbeatElapsed = 0;
    this.randomizedElectionTimeout = this.opts.electionTick + randomInt(this.opts.random, this.opts.electionTick);
    this.abortLeaderTransfer();
    this.tracker.resetVotes();
    this.tracker.resetProgress(this.log.lastIndex(), this.id);
    this.pendingConfIndex = 0;
    this.campaignWhenApplied = false;
  }

  // ---- elections ---------------------------------------------------------------------------

  hup(kind: CampaignKind): void {
    if (this.role === 'leader') return;
    if (!this.promotable()) {
      this.logger.debug({ term: this.term }, 'not campaigning: not a voter');
      return;
    }
    if (this.log.hasUnappliedConfChanges()) {
      this.logger.info({ term: this.term, kind }, 'deferring campaign: committed conf changes still unapplied');
      if (kind === 'transfer') this.campaignWhenApplied = true;
      return;
    }
    this.campaign(kind);
  }

  campaign(kind: CampaignKind): void {
    let voteTerm: number;
    if (kind === 'pre-vote') {
      this.becomePreCandidate();
      voteTerm = this.term + 1;
    } else {
      this.becomeCandidate();
      voteTerm = this.term;
    }
    this.logger.info({ term: voteTerm, kind }, 'campaigning');
    // Our own vote counts at once: it is persisted in the same Ready that sends the requests.
    if (this.poll(this.id, true) === 'won') {
      if (kind === 'pre-vote') this.campaign('election');
      else this.becomeLeader();
      return;
    }
    const lastIndex = this.log.lastIndex();
    const lastTerm = this.log.lastTerm();
    for (const to of this.tracker.voters) {
      if (to === this.id) continue;
      if (kind === 'pre-vote') this.send({ type: 'pre-vote', to, term: voteTerm, lastIndex, lastTerm });
      else this.send({ type: 'vote', to, term: voteTerm, lastIndex, lastTerm, transfer: kind === 'transfer' });
    }
  }

  poll(id: NodeId, granted: boolean): VoteResult {
    this.tracker.recordVote(id, granted);
    return this.tracker.tallyVotes();
  }

  // ---- messages ----------------------------------------------------------------------------

  step(m: Message): void {
    if (m.term > this.term) {
      if (!this.stepHigherTerm(m)) return;
    } else if (m.term < this.term) {
      this.stepLowerTerm(m);
      return;
    }
    if (m.type === 'pre-vote' || m.type === 'vote') {
      this.handleVoteRequest(m);
      return;
    }
    switch (this.role) {
      case 'leader':
        stepLeader(this, m);
        return;
      case 'candidate':
      case 'pre-candidate':
        stepCandidate(this, m);
        return;
      case 'follower':
        stepFollower(this, m);
        return;
      default:
        assertNever(this.role, 'role');
    }
  }

  /** Returns false if the message must be ignored. */
  private stepHigherTerm(m: Message): boolean {
    if (m.type === 'pre-vote' || m.type === 'vote') {
      const force = m.type === 'vote' && m.transfer;
      // Leader lease: having heard from a live leader within the minimum election timeout, we
      // neither adopt the term nor vote, so a node rejoining from a partition cannot depose it.
      const inLease = this.opts.checkQuorum && this.lead !== null && this.electionElapsed < this.opts.electionTick;
      if (!force && inLease) {
        this.logger.debug({ from: m.from, type: m.type, term: m.term }, 'ignoring vote request within leader lease');
        return false;
      }
    }
    // A pre-vote never changes our term; nor does a granted pre-vote response (we move to the
    // new term only once a quorum grants). Anything else from a newer term demotes us.
    if (m.type === 'pre-vote' || (m.type === 'pre-vote-response' && !m.reject)) return true;
    const fromLeader = m.type === 'append' || m.type === 'heartbeat' || m.type === 'snapshot';
    this.logger.debug({ from: m.from, type: m.type, term: m.term, ourTerm: this.term }, 'newer term seen');
    this.becomeFollower(m.term, fromLeader ? m.from : null);
    return true;
  }

  private stepLowerTerm(m: Message): void {
    if ((this.opts.checkQuorum || this.opts.preVote) && (m.type === 'heartbeat' || m.type === 'append')) {
      // A stale leader (e.g. back from a partition) may never see a vote from us, since lease
      // and pre-vote suppress them; answer at our term so it steps down.
      this.send({ type: 'append-response', to: m.from, index: 0, reject: false, rejectHint: 0, hintTerm: 0 });
    } else if (m.type === 'pre-vote') {
      // Tell the pre-candidate about our newer term so it does not keep trying.
      this.send({ type: 'pre-vote-response', to: m.from, reject: true });
    }
  }

  private handleVoteRequest(m: PreVoteRequest | VoteRequest): void {
    const canVote =
      this.vote === m.from ||
      (this.vote === null && this.lead === null) ||
      (m.type === 'pre-vote' && m.term > this.term);
    const grant = canVote && this.log.isUpToDate(m.lastIndex, m.lastTerm);
    // A grant echoes the request's term: a pre-vote is for a term we have not adopted, and the
    // candidate ignores answers from terms older than its own.
    const term = grant ? m.term : this.term;
    this.logger.debug({ from: m.from, type: m.type, term: m.term, grant }, 'vote request');
    if (m.type === 'pre-vote') {
      this.send({ type: 'pre-vote-response', to: m.from, term, reject: !grant });
      return;
    }
    this.send({ type: 'vote-response', to: m.from, term, reject: !grant });
    if (grant) {
      this.electionElapsed = 0;
      this.vote = m.from;
    }
  }

  /** Queues `m`, which must be a fresh object (every caller passes a literal): it is completed in place, not copied. */
  send(m: OutgoingMessage): void {
    const out = m as { from?: string; term?: number };
    out.from = this.id;
    out.term ??= this.term;
    this.msgs.push(m as unknown as Message);
  }

  // ---- leader bookkeeping -----------------------------------------------------------------

  /** Appends new entries of the current term. The leader's own ack waits for persistence. */
  appendEntries(proto: readonly { type: EntryType; data: Uint8Array }[]): Entry[] {
    const last = this.log.lastIndex();
    const ents = proto.map((p, i): Entry => ({ index: last + 1 + i, term: this.term, type: p.type, data: p.data }));
    this.log.append(ents);
    return ents;
  }

  maybeCommit(): boolean {
    return this.log.maybeCommit(this.tracker.committed(), this.term);
  }

  abortLeaderTransfer(): void {
    this.leadTransferee = null;
  }

  // ---- after the application persisted a Ready ----------------------------------------------

  advance(applied: number, lastPersisted: Entry | undefined, snapshotIndex: number | undefined): void {
    this.log.appliedTo(applied);
    if (lastPersisted !== undefined) {
      const { index, term } = lastPersisted;
      if (this.role === 'leader' && this.log.matchTerm(index, term)) this.selfAck(index);
      this.log.stableTo(index, term);
    }
    if (snapshotIndex !== undefined) this.log.stableSnapTo(snapshotIndex);
    if (this.campaignWhenApplied && !this.log.hasUnappliedConfChanges()) {
      this.campaignWhenApplied = false;
      this.hup('transfer');
    }
  }

  /** The leader counts towards a quorum only for entries it has itself made durable. */
  private selfAck(index: number): void {
    const self = this.tracker.progress.get(this.id);
    if (self !== undefined && self.maybeUpdate(index) && this.maybeCommit()) bcastAppend(this);
  }

  private loadHardState(hs: HardState, snapshotIndex: number): void {
    if (hs.commit > this.log.lastIndex()) {
      throw new RaftInvariantError(`hard state commit ${hs.commit} beyond last index ${this.log.lastIndex()}`);
    }
    this.term = hs.term;
    this.vote = hs.vote;
    // A snapshot is committed by definition, even if the stored commit index lags behind it.
    this.log.commitTo(Math.max(hs.commit, snapshotIndex));
  }
}
