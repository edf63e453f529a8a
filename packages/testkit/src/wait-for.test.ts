import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { WaitTimeoutError } from './errors';
import { waitFor } from './wait-for';

describe('waitFor', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('resolves with the first truthy value and stops polling', async () => {
    const values = [0, '', null, { ready: true }, { ready: 'never read' }];
    const fn = vi.fn(async () => values.shift());
    const pending = waitFor(fn, { what: 'a value', intervalMs: 10 });
    await vi.advanceTimersByTimeAsync(30);
    await expect(pending).resolves.toEqual({ ready: true });
    await vi.advanceTimersByTimeAsync(100);
    expect(fn).toHaveBeenCalledTimes(4);
  });

  it('treats a thrown error as "not yet"', async () => {
    let calls = 0;
    const pending = waitFor(
      () => {
        calls += 1;
        if (calls < 3) throw new Error('connection refused');
        return 'up';
      },
      { what: 'the socket', intervalMs: 50 },
    );
    await vi.advanceTimersByTimeAsync(100);
    await expect(pending).resolves.toBe('up');
  });

  it('polls every intervalMs', async () => {
    const fn = vi.fn(() => false);
    const pending = waitFor(fn, { what: 'nothing', timeoutMs: 1_000, intervalMs: 100 }).catch(() => 'timed out');
    await vi.advanceTimersByTimeAsync(450);
    expect(fn).toHaveBeenCalledTimes(5); // at 0, 100, 200, 300, 400
    await vi.advanceTimersByTimeAsync(1_000);
    await expect(pending).resolves.toBe('timed out');
  });

  it('times out naming what it waited for and the last value', async () => {
    const pending = waitFor(() => false, { what: 'the moon', timeoutMs: 1_000, intervalMs: 100 });
    const outcome = expect(pending).rejects.toThrow(/^timed out after 1000ms waiting for the moon \(\d+ attempts\); last value: false$/);
    await vi.advanceTimersByTimeAsync(1_000);
    await outcome;
  });

  it('keeps the last value on the error', async () => {
    const pending = waitFor(async () => (await Promise.resolve({ ready: 2, of: 3 })).ready === 3, { what: 'quorum', timeoutMs: 200 });
    const caught = pending.catch((error: unknown) => error);
    await vi.advanceTimersByTimeAsync(200);
    const error = await caught;
    expect(error).toBeInstanceOf(WaitTimeoutError);
    expect((error as WaitTimeoutError).code).toBe('ERR_WAIT_TIMEOUT');
    expect((error as WaitTimeoutError).lastValue).toBe(false);
  });

  it('times out with the last error as message and cause', async () => {
    let attempt = 0;
    const pending = waitFor(
      () => {
        attempt += 1;
        throw new Error(`2/3 Ready (attempt ${attempt})`);
      },
      { what: 'every node Ready', timeoutMs: 500, intervalMs: 100 },
    );
    const caught = pending.catch((error: unknown) => error);
    await vi.advanceTimersByTimeAsync(500);
    const error = (await caught) as WaitTimeoutError;
    expect(error.message).toMatch(/waiting for every node Ready .*; last error: 2\/3 Ready \(attempt \d+\)$/);
    expect(error.cause).toBeInstanceOf(Error);
  });

  it('does not hang on an attempt that never settles', async () => {
    const pending = waitFor(() => new Promise<boolean>(() => undefined), { what: 'a hung call', timeoutMs: 300 });
    const outcome = expect(pending).rejects.toThrow(/waiting for a hung call \(1 attempts, the last one still running\); no attempt finished/);
    await vi.advanceTimersByTimeAsync(300);
    await outcome;
  });

  it('rejects with the abort reason as soon as the signal aborts', async () => {
    const controller = new AbortController();
    const aborted = waitFor(() => false, { what: 'a daemon', timeoutMs: 10_000, signal: controller.signal });
    const outcome = expect(aborted).rejects.toThrow('daemon exited with code 1');
    await vi.advanceTimersByTimeAsync(120);
    controller.abort(new Error('daemon exited with code 1'));
    await outcome;
  });
});
