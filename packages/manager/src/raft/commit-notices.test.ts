import type { Message } from '@shoal/raft';
import { describe, expect, it } from 'vitest';
import { CommitNoticeDelay, type NoticeTimer } from './commit-notices';

function fakeTimer(): NoticeTimer & { fire(): void; pending: number } {
  const fns = new Map<number, () => void>();
  let next = 0;
  return {
    set: (fn) => {
      fns.set(++next, fn);
      return next;
    },
    clear: (h) => fns.delete(h as number),
    fire() {
      const all = [...fns.values()];
      fns.clear();
      for (const fn of all) fn();
    },
    get pending() {
      return fns.size;
    },
  };
}

const append = (to: string, commit: number, entries = 0): Message => ({
  type: 'append',
  from: 'L',
  to,
  term: 2,
  index: 10,
  logTerm: 2,
  commit,
  entries: Array.from({ length: entries }, (_, i) => ({ index: 11 + i, term: 2, type: 'normal' as const, data: new Uint8Array() })),
});

function setup(delayMs = 5) {
  const sent: Message[][] = [];
  const timer = fakeTimer();
  const d = new CommitNoticeDelay(delayMs, (m) => sent.push(m), timer);
  return { d, sent, timer };
}

describe('CommitNoticeDelay', () => {
  it('sends appends with entries and other messages at once', () => {
    const { d, sent, timer } = setup();
    const hb: Message = { type: 'heartbeat', from: 'L', to: 'a', term: 2, commit: 3 };
    d.submit([append('a', 3, 1), hb]);
    expect(sent).toEqual([[append('a', 3, 1), hb]]);
    expect(timer.pending).toBe(0);
  });

  it('holds an entry-less append and sends it when the delay ends', () => {
    const { d, sent, timer } = setup();
    d.submit([append('a', 4), append('b', 4)]);
    expect(sent).toEqual([]);
    timer.fire();
    expect(sent).toEqual([[append('a', 4), append('b', 4)]]);
  });

  it('drops a held notice overtaken by an append with entries to the same peer', () => {
    const { d, sent, timer } = setup();
    d.submit([append('a', 4), append('b', 4)]);
    d.submit([append('a', 5, 1)]);
    timer.fire();
    expect(sent).toEqual([[append('a', 5, 1)], [append('b', 4)]]);
  });

  it('gives a notice held after all earlier ones were overtaken its own full delay', () => {
    const { d, sent, timer } = setup();
    d.submit([append('a', 4)]);
    d.submit([append('a', 5, 1)]);
    expect(timer.pending).toBe(0);
    d.submit([append('a', 5)]);
    expect(timer.pending).toBe(1);
    timer.fire();
    expect(sent).toEqual([[append('a', 5, 1)], [append('a', 5)]]);
  });

  it('keeps only the newest notice per peer', () => {
    const { d, sent, timer } = setup();
    d.submit([append('a', 4)]);
    d.submit([append('a', 6)]);
    expect(timer.pending).toBe(1);
    timer.fire();
    expect(sent).toEqual([[append('a', 6)]]);
  });

  it('with no delay sends everything at once; stop drops what is held', () => {
    const now = setup(0);
    now.d.submit([append('a', 4)]);
    expect(now.sent).toEqual([[append('a', 4)]]);
    const held = setup();
    held.d.submit([append('a', 4)]);
    held.d.stop();
    expect(held.timer.pending).toBe(0);
    expect(held.sent).toEqual([]);
  });
});
