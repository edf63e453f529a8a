// A task writes stdout/stderr into named pipes in its dir, not into pipes to
// the agent: the task's own fd is opened read-write, so the FIFO always has a
// reader and the task never dies of SIGPIPE when the agent restarts. Whatever it
// writes meanwhile waits in the pipe (64 KiB, then the task blocks) until the
// next agent reopens the FIFO and pumps it into the task log.
import { execFile } from 'node:child_process';
import { closeSync, constants, openSync, promises as fsp } from 'node:fs';
import { Socket } from 'node:net';
import * as path from 'node:path';
import { promisify } from 'node:util';
import type { RuntimeLogger } from '../logger';
import type { LogStream } from '../types';
import { HIGH_WATER_BYTES, type LogWriter } from './log-file';

const STREAMS: readonly LogStream[] = ['stdout', 'stderr'];

export function fifoPath(dir: string, stream: LogStream): string {
  return path.join(dir, `${stream}.fifo`);
}

export async function makeFifos(dir: string): Promise<void> {
  const paths = STREAMS.map((s) => fifoPath(dir, s));
  await Promise.all(paths.map((p) => fsp.rm(p, { force: true })));
  // Node has no mkfifo(2) binding; coreutils' mkfifo is on every Linux host.
  await promisify(execFile)('mkfifo', ['-m', '600', ...paths]);
}

/** The task's end of each FIFO: opened read-write (see above), to pass as its stdio. */
export function openTaskEnds(dir: string): Record<LogStream, number> {
  const stdout = openSync(fifoPath(dir, 'stdout'), 'r+');
  try {
    return { stdout, stderr: openSync(fifoPath(dir, 'stderr'), 'r+') };
  } catch (err) {
    closeQuietly(stdout);
    throw err;
  }
}

export function closeQuietly(fd: number): void {
  try {
    closeSync(fd);
  } catch {
    // already closed: nothing was lost
  }
}

/** Reads both FIFOs into a LogWriter until every writer (the task's processes) has closed them. */
export class OutputPump {
  /** Resolves once both streams reached end of file or were detached. */
  readonly done: Promise<void>;
  private readonly sockets: Socket[] = [];

  constructor(dir: string, writer: LogWriter, logger: RuntimeLogger) {
    const ended: Array<Promise<void>> = [];
    for (const stream of STREAMS) {
      let fd: number;
      try {
        // Non-blocking, or opening a FIFO with no writer would block the event loop.
        fd = openSync(fifoPath(dir, stream), constants.O_RDONLY | constants.O_NONBLOCK);
      } catch (err) {
        logger.warn({ err, dir, stream }, 'cannot open task output pipe; its output is lost');
        continue;
      }
      const socket = new Socket({ fd, readable: true, writable: false });
      this.sockets.push(socket);
      ended.push(pump(socket, stream, writer, logger));
    }
    this.done = Promise.all(ended).then(() => undefined);
  }

  /** Stops reading; data still in the pipes stays there for the next reader. */
  detach(): void {
    for (const s of this.sockets) s.destroy();
  }
}

function pump(socket: Socket, stream: LogStream, writer: LogWriter, logger: RuntimeLogger): Promise<void> {
  return new Promise((resolve) => {
    socket.on('data', (chunk: Buffer) => {
      writer.write(stream, chunk);
      if (writer.pendingBytes >= HIGH_WATER_BYTES) {
        socket.pause();
        writer.onDrain(() => socket.resume());
      }
    });
    socket.on('error', (err) => logger.warn({ err, stream }, 'task output pipe failed'));
    socket.on('close', () => resolve());
  });
}
