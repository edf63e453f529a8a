// The leader tells followers of a new commit index with an append that carries no entries.
// Sent at once, each commit costs every follower a message, a wake-up, an apply and an
// answer, right when the next request is being served. Held back a few milliseconds, the
// notice is almost always overtaken by the next append, which carries the commit index
// anyway, so it is dropped; when the leader goes quiet it is sent after the delay. Raft
// tolerates a lost or late append, so holding one changes no outcome, only followers'
// staleness (bounded by the delay).
import type { Message } from '@shoal/raft';

export interface NoticeTimer {
  set(fn: () => void, ms: number): unknown;
  clear(handle: unknown): void;
}

export const realNoticeTimer: NoticeTimer = {
  set: (fn, ms) => setTimeout(fn, ms),
  clear: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

export class CommitNoticeDelay {
  /** The latest entry-less append to each peer, not yet sent. */
  private readonly held = new Map<string, Message>();
  private timer: unknown = null;

  constructor(
    private readonly delayMs: number,
    private readonly send: (messages: Message[]) => void,
    private readonly clock: NoticeTimer = realNoticeTimer,
  ) {}

  /** Sends `messages` now, except entry-less appends, which wait unless a later append overtakes them. */
  submit(messages: readonly Message[]): void {
    const now: Message[] = [];
    for (const m of messages) {
      if (m.type !== 'append') {
        now.push(m);
      } else if (m.entries.length === 0 && this.delayMs > 0) {
        this.held.set(m.to, m);
      } else {
        this.held.delete(m.to); // carries a commit index at least as new
        now.push(m);
      }
    }
    if (now.length > 0) this.send(now);
    if (this.held.size === 0) this.cancelTimer(); // every notice was overtaken: a later one gets its own full delay
    else if (this.timer === null) this.timer = this.clock.set(() => this.flush(), this.delayMs);
  }

  /** Sends whatever is held (the timer fired, or the replica stops leading). */
  flush(): void {
    this.cancelTimer();
    if (this.held.size === 0) return;
    const messages = [...this.held.values()];
    this.held.clear();
    this.send(messages);
  }

  /** Drops what is held (the replica stopped). */
  stop(): void {
    this.cancelTimer();
    this.held.clear();
  }

  private cancelTimer(): void {
    if (this.timer !== null) this.clock.clear(this.timer);
    this.timer = null;
  }
}
