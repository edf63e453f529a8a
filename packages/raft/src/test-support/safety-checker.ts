// Raft's safety properties (Figure 3 of the paper), checked against a SimCluster after every step.
import type { Entry, NodeId } from '../types';
import type { SimCluster } from './sim-cluster';
import type { ApplyObserver, SimNode } from './sim-node';

export class SafetyViolation extends Error {}

export class SafetyChecker implements ApplyObserver {
  /** term -> the node that led it. */
  private readonly leaders = new Map<number, NodeId>();
  /** "index/term" -> "prevTerm/payload" for every entry ever seen in a durable log. */
  private readonly entries = new Map<string, string>();
  /** index -> term of the committed entry at that index. */
  private readonly committed: number[] = [];
  /** index -> state machine hash after applying it. */
  private readonly stateAt = new Map<number, number>();
  private readonly payloadKeys = new WeakMap<Entry, string>();

  onApply(node: NodeId, index: number, hash: number): void {
    this.checkState(node, index, hash, 'applied');
  }

  onRestore(node: NodeId, index: number, hash: number): void {
    this.checkState(node, index, hash, 'restored snapshot');
  }

  check(cluster: SimCluster): void {
    const nodes = [...cluster.nodes.values()];
    let maxTerm = 0;
    for (const n of nodes) maxTerm = Math.max(maxTerm, n.storage.initialState().hardState.term, n.alive ? n.node.status().term : 0);
    for (const n of nodes) {
      this.checkLog(n);
      if (!n.alive) continue;
      const s = n.node.status();
      if (s.role !== 'leader') continue;
      this.checkElection(n.id, s.term);
      // Only a leader no one has superseded must hold every committed entry: all commits so far
      // were made by leaders of its term (itself) or earlier ones.
      if (s.term >= maxTerm) this.checkLeaderCompleteness(n);
    }
  }

  /** State machine safety: every node reaches the same state at the same index. */
  private checkState(node: NodeId, index: number, hash: number, what: string): void {
    const known = this.stateAt.get(index);
    if (known === undefined) this.stateAt.set(index, hash);
    else if (known !== hash) throw new SafetyViolation(`state machine safety: ${node} ${what} ${index} with a different state`);
  }

  /** Election safety: at most one leader per term. */
  private checkElection(id: NodeId, term: number): void {
    const other = this.leaders.get(term);
    if (other === undefined) this.leaders.set(term, id);
    else if (other !== id) throw new SafetyViolation(`election safety: ${other} and ${id} both led term ${term}`);
  }

  /**
   * Log matching: entries with equal (index, term) carry the same payload and follow an entry of
   * the same term, hence (inductively) identical prefixes. Also records and verifies committed
   * entries, which must never change.
   */
  private checkLog(n: SimNode): void {
    const s = n.storage;
    const first = s.firstIndex();
    const last = s.lastIndex();
    const commit = s.initialState().hardState.commit;
    let prevTerm = s.term(first - 1);
    for (const e of first <= last ? s.entries(first, last + 1, Number.POSITIVE_INFINITY) : []) {
      const key = `${e.index}/${e.term}`;
      const value = `${prevTerm}/${this.payloadKey(e)}`;
      const known = this.entries.get(key);
      if (known === undefined) this.entries.set(key, value);
      else if (known !== value) throw new SafetyViolation(`log matching: ${n.id} holds a different entry ${key} (${value.slice(0, 60)} vs ${known.slice(0, 60)})`);
      if (e.index <= commit) {
        const c = this.committed[e.index];
        if (c === undefined) this.committed[e.index] = e.term;
        else if (c !== e.term) throw new SafetyViolation(`committed entry ${e.index} changed term on ${n.id}: ${c} -> ${e.term}`);
      }
      prevTerm = e.term;
    }
  }

  /** Leader completeness: the leader's log holds every committed entry it has not compacted. */
  private checkLeaderCompleteness(n: SimNode): void {
    const s = n.storage;
    const last = s.lastIndex();
    for (let i = s.firstIndex(); i < this.committed.length; i++) {
      const t = this.committed[i];
      if (t === undefined) continue;
      if (i > last || s.term(i) !== t) {
        throw new SafetyViolation(`leader completeness: leader ${n.id} lacks committed entry ${i}/${t}`);
      }
    }
  }

  private payloadKey(e: Entry): string {
    let k = this.payloadKeys.get(e);
    if (k === undefined) {
      k = `${e.type}:${Buffer.from(e.data).toString('base64')}`;
      this.payloadKeys.set(e, k);
    }
    return k;
  }
}
