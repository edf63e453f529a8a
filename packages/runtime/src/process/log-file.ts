// A task's output kept the way Docker's json-file driver keeps it: one JSON
// object per line, {"log":"…\n","stream":"stdout","time":"…"}, in
// <taskDir>/log.jsonl, rotated to log.jsonl.1 at maxBytes (one rotation kept).
// All file work runs on one promise chain, so reading a snapshot and
// subscribing to later lines is atomic with respect to appends and rotation.
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { AsyncQueue } from '../async-queue';
import type { LogClock } from '../log-records';
import type { RuntimeLogger } from '../logger';
import type { LogRecord, LogStream } from '../types';

export const LOG_FILE = 'log.jsonl';
/** Docker splits lines longer than this into several records. */
const MAX_LINE_BYTES = 16 * 1024;
/** Above this much unwritten output the pumps pause their pipes. */
export const HIGH_WATER_BYTES = 1024 * 1024;

interface Pending {
  record: LogRecord;
  encoded: string;
}

export interface LogWriterOptions {
  dir: string;
  maxBytes: number;
  clock: LogClock;
  logger: RuntimeLogger;
}

export class LogWriter {
  private readonly partial: Record<LogStream, Buffer> = { stdout: Buffer.alloc(0), stderr: Buffer.alloc(0) };
  private pending: Pending[] = [];
  private pendingSize = 0;
  private chain: Promise<void> = Promise.resolve();
  private readonly followers = new Set<AsyncQueue<LogRecord>>();
  private readonly drainWaiters: Array<() => void> = [];
  /** No more writes accepted. */
  private closed = false;
  /** File closed and followers ended: what is on disk is final. */
  private finished = false;

  private constructor(
    private readonly options: LogWriterOptions,
    private handle: fsp.FileHandle,
    private size: number,
  ) {}

  static async open(options: LogWriterOptions): Promise<LogWriter> {
    const handle = await fsp.open(path.join(options.dir, LOG_FILE), 'a');
    const { size } = await handle.stat();
    return new LogWriter(options, handle, size);
  }

  get ended(): boolean {
    return this.finished;
  }

  get pendingBytes(): number {
    return this.pendingSize;
  }

  /** Calls `fn` once unwritten output drops below the high-water mark. */
  onDrain(fn: () => void): void {
    if (this.pendingSize < HIGH_WATER_BYTES) fn();
    else this.drainWaiters.push(fn);
  }

  write(stream: LogStream, chunk: Buffer): void {
    if (this.closed) return;
    let buf = this.partial[stream].length ? Buffer.concat([this.partial[stream], chunk]) : chunk;
    for (;;) {
      const nl = buf.indexOf(0x0a);
      if (nl >= 0 && nl <= MAX_LINE_BYTES) {
        this.add(stream, buf.subarray(0, nl).toString('utf8'), true);
        buf = buf.subarray(nl + 1);
      } else if (buf.length > MAX_LINE_BYTES) {
        this.add(stream, buf.subarray(0, MAX_LINE_BYTES).toString('utf8'), false);
        buf = buf.subarray(MAX_LINE_BYTES);
      } else break;
    }
    this.partial[stream] = Buffer.from(buf);
    this.schedule();
  }

  /** The records on disk (and any queued before this call), oldest first. */
  snapshot(): Promise<LogRecord[]> {
    return this.enqueue(() => readLogFiles(this.options.dir, this.options.logger));
  }

  /** A snapshot plus every record written after it, until end(). */
  follow(): Promise<{ existing: LogRecord[]; live: AsyncQueue<LogRecord>; stop: () => void }> {
    return this.enqueue(async () => {
      const existing = await readLogFiles(this.options.dir, this.options.logger);
      const live = new AsyncQueue<LogRecord>();
      if (this.finished) live.end();
      else this.followers.add(live);
      return { existing, live, stop: () => this.followers.delete(live) };
    });
  }

  /** Writes out unterminated lines, closes the file and ends every follower. */
  async end(): Promise<void> {
    if (this.closed) return this.chain;
    for (const stream of ['stdout', 'stderr'] as const) {
      const rest = this.partial[stream];
      if (rest.length) this.add(stream, rest.toString('utf8'), false);
      this.partial[stream] = Buffer.alloc(0);
    }
    this.schedule();
    this.closed = true;
    await this.enqueue(async () => {
      try {
        await this.handle.close();
      } finally {
        this.finished = true;
        for (const f of this.followers) f.end();
        this.followers.clear();
      }
    }).catch(() => undefined); // enqueue() has logged it; ending must not fail the task's exit
  }

  private add(stream: LogStream, line: string, newline: boolean): void {
    const record: LogRecord = { stream, time: this.options.clock.now(), line };
    const encoded = `${JSON.stringify({ log: newline ? `${line}\n` : line, stream, time: record.time })}\n`;
    this.pending.push({ record, encoded });
    this.pendingSize += Buffer.byteLength(encoded);
  }

  private schedule(): void {
    if (this.pending.length === 0) return;
    void this.enqueue(() => this.flush());
  }

  private enqueue<T>(op: () => Promise<T>): Promise<T> {
    const result = this.chain.then(op);
    // One failed append must not stop every later one; the failure is logged.
    this.chain = result.then(
      () => undefined,
      (err: unknown) => this.options.logger.error({ err, dir: this.options.dir }, 'task log write failed; lines lost'),
    );
    return result;
  }

  private async flush(): Promise<void> {
    const batch = this.pending;
    this.pending = [];
    try {
      await this.writeBatch(batch);
      for (const f of this.followers) for (const p of batch) f.push(p.record);
    } finally {
      // Even a failed write takes the batch off the books, or the pumps would stay paused.
      this.pendingSize -= batch.reduce((sum, p) => sum + Buffer.byteLength(p.encoded), 0);
      if (this.pendingSize < HIGH_WATER_BYTES) for (const fn of this.drainWaiters.splice(0)) fn();
    }
  }

  private async writeBatch(batch: readonly Pending[]): Promise<void> {
    let chunk = '';
    let chunkSize = 0;
    for (const p of batch) {
      const n = Buffer.byteLength(p.encoded);
      if (this.size + chunkSize + n > this.options.maxBytes && this.size + chunkSize > 0) {
        await this.append(chunk);
        [chunk, chunkSize] = ['', 0];
        await this.rotate();
      }
      chunk += p.encoded;
      chunkSize += n;
    }
    await this.append(chunk);
  }

  private async append(text: string): Promise<void> {
    if (!text) return;
    await this.handle.appendFile(text);
    this.size += Buffer.byteLength(text);
  }

  private async rotate(): Promise<void> {
    const file = path.join(this.options.dir, LOG_FILE);
    await this.handle.close();
    await fsp.rename(file, `${file}.1`);
    this.handle = await fsp.open(file, 'a');
    this.size = 0;
  }
}

/** Every record in log.jsonl.1 then log.jsonl; missing files are empty, torn lines skipped. */
export async function readLogFiles(dir: string, logger: RuntimeLogger): Promise<LogRecord[]> {
  const file = path.join(dir, LOG_FILE);
  const records: LogRecord[] = [];
  let skipped = 0;
  for (const name of [`${file}.1`, file]) {
    let text: string;
    try {
      text = await fsp.readFile(name, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') continue;
      throw err;
    }
    for (const line of text.split('\n')) {
      if (!line) continue;
      const record = decodeRecord(line);
      if (record) records.push(record);
      else skipped++;
    }
  }
  if (skipped) logger.warn({ dir, skipped }, 'skipped unreadable task log lines');
  return records;
}

function decodeRecord(line: string): LogRecord | null {
  try {
    const v = JSON.parse(line) as { log?: unknown; stream?: unknown; time?: unknown };
    if (typeof v.log !== 'string' || typeof v.time !== 'string') return null;
    if (v.stream !== 'stdout' && v.stream !== 'stderr') return null;
    return { stream: v.stream, time: v.time, line: v.log.endsWith('\n') ? v.log.slice(0, -1) : v.log };
  } catch {
    return null; // a line torn by a crash mid-append
  }
}
