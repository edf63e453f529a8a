import { describe, expect, it } from 'vitest';
import { Inflights } from './inflights';
import { Progress } from './progress';
import { ProgressTracker } from './progress-tracker';

describe('ProgressTracker', () => {
  it('commits the highest index held by a quorum of voters, ignoring learners', () => {
    const t = ProgressTracker.fromConfState({ voters: ['a', 'b', 'c', 'd', 'e'], learners: ['l'] }, 8, 0);
    const matches: Record<string, number> = { a: 5, b: 4, c: 3, d: 2, e: 1, l: 100 };
    for (const [id, m] of Object.entries(matches)) (t.progress.get(id) as Progress).match = m;
    expect(t.committed()).toBe(3);
    expect(ProgressTracker.fromConfState({ voters: [], learners: [] }, 8, 0).committed()).toBe(0);
  });

  it('tallies votes of voters only', () => {
    const t = ProgressTracker.fromConfState({ voters: ['a', 'b', 'c'], learners: ['l'] }, 8, 0);
    t.recordVote('a', true);
    t.recordVote('l', true);
    expect(t.tallyVotes()).toBe('pending');
    t.recordVote('b', false);
    t.recordVote('b', true); // only the first answer counts
    expect(t.tallyVotes()).toBe('pending');
    t.recordVote('c', false);
    expect(t.tallyVotes()).toBe('lost');
    t.resetVotes();
    t.recordVote('a', true);
    t.recordVote('c', true);
    expect(t.tallyVotes()).toBe('won');
  });

  it('applies single-server changes and rejects removing or demoting the last voter', () => {
    const t = ProgressTracker.fromConfState({ voters: ['a'], learners: [] }, 8, 5);
    expect(t.validate({ type: 'remove-node', nodeId: 'a' })).toMatch(/last voter/);
    expect(t.validate({ type: 'add-learner', nodeId: 'a' })).toMatch(/last voter/);
    t.apply({ type: 'add-learner', nodeId: 'b' }, 5);
    expect(t.progress.get('b')).toMatchObject({ isLearner: true, next: 5, recentActive: true });
    t.apply({ type: 'add-voter', nodeId: 'b' }, 7);
    expect(t.confState()).toEqual({ voters: ['a', 'b'], learners: [] });
    expect(t.progress.get('b')?.next).toBe(5); // promotion keeps the replication state
    t.apply({ type: 'add-learner', nodeId: 'a' }, 7);
    expect(t.confState()).toEqual({ voters: ['b'], learners: ['a'] });
    t.apply({ type: 'remove-node', nodeId: 'a' }, 7);
    expect(t.progress.has('a')).toBe(false);
  });

  it('is quorum-active only with a quorum of recently active voters', () => {
    const t = ProgressTracker.fromConfState({ voters: ['a', 'b', 'c'], learners: [] }, 8, 0);
    t.resetProgress(0, 'a');
    (t.progress.get('a') as Progress).recentActive = true;
    expect(t.quorumActive()).toBe(false);
    (t.progress.get('c') as Progress).recentActive = true;
    expect(t.quorumActive()).toBe(true);
  });
});

describe('Progress', () => {
  it('ignores stale rejections and backs off to the hint', () => {
    const p = new Progress(11, 8, false);
    expect(p.maybeDecrTo(5, 3)).toBe(false); // not for our outstanding probe at 10
    expect(p.maybeDecrTo(10, 3)).toBe(true);
    expect(p.next).toBe(4);
    p.maybeUpdate(6);
    p.becomeReplicate();
    expect(p.maybeDecrTo(5, 0)).toBe(false); // below match: stale
    expect(p.maybeDecrTo(9, 0)).toBe(true);
    expect(p.next).toBe(7);
  });

  it('fills and drains its inflight window in replicate state', () => {
    const p = new Progress(1, 2, false);
    p.becomeReplicate();
    p.updateOnEntriesSend(3);
    expect(p).toMatchObject({ next: 4, msgAppFlowPaused: false });
    p.updateOnEntriesSend(1);
    expect(p.isPaused()).toBe(true);
    p.inflights.freeLE(3);
    expect(p.inflights.count).toBe(1);
  });
});

describe('Inflights', () => {
  it('wraps around its ring', () => {
    const f = new Inflights(3);
    for (const i of [1, 2, 3]) f.add(i);
    expect(f.full()).toBe(true);
    expect(() => f.add(4)).toThrow(RangeError);
    f.freeLE(2);
    f.add(4);
    f.add(5);
    expect(f.count).toBe(3);
    f.freeLE(4);
    expect(f.count).toBe(1);
    f.freeLE(10);
    expect(f.count).toBe(0);
  });
});
