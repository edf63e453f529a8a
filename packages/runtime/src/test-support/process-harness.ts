// Real-process test scaffolding: a temp stateDir, executors on a loopback port
// range of the test file's own, and a cleanup that kills every task by PID.
import { mkdtempSync, promises as fsp } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import ts from 'typescript';
import { ProcessExecutor, type ProcessExecutorOptions } from '../process/executor';
import { readStateFile } from '../process/state-file';
import type { TaskController, TaskRuntimeSpec } from '../types';

export class ProcessHarness {
  readonly root = mkdtempSync(path.join(tmpdir(), 'shoal-runtime-'));
  readonly stateDir = path.join(this.root, 'tasks');
  private readonly executors: ProcessExecutor[] = [];
  private readonly controllers = new Set<TaskController>();

  /** `ports`: a range no other test file uses, below the kernel's ephemeral ports. */
  constructor(private readonly ports: readonly [number, number]) {}

  executor(options: Partial<ProcessExecutorOptions> = {}): ProcessExecutor {
    const executor = new ProcessExecutor({
      stateDir: this.stateDir,
      portRange: this.ports,
      host: '127.0.0.1',
      listenHost: '127.0.0.1',
      drainTimeoutMs: 500,
      pollIntervalMs: 50,
      ...options,
    });
    const make = executor.controller.bind(executor);
    executor.controller = (spec) => {
      const c = make(spec);
      this.controllers.add(c);
      return c;
    };
    this.executors.push(executor);
    return executor;
  }

  spec(taskId: string, over: Partial<TaskRuntimeSpec> = {}): TaskRuntimeSpec {
    return {
      taskId,
      serviceId: 'svc1',
      serviceName: 'web',
      slot: 1,
      nodeId: 'node1',
      nodeHostname: 'node-one',
      image: 'busybox:latest',
      command: ['/bin/sh', '-c', 'echo hello; echo oops >&2; exec sleep 30'],
      ...over,
    };
  }

  /** SIGKILLs every task group this harness could have started, by PID, then deletes the temp dir. */
  async cleanup(): Promise<void> {
    const pids = new Set<number>();
    for (const c of this.controllers) {
      const pid = c.status().pid;
      if (pid !== undefined) pids.add(pid);
    }
    for (const name of await fsp.readdir(this.stateDir).catch(() => [] as string[])) {
      const read = await readStateFile(path.join(this.stateDir, name)).catch(() => null);
      if (read?.kind === 'ok' && read.record.pid !== undefined) pids.add(read.record.pid);
    }
    for (const pid of pids) killGroup(pid);
    await Promise.all(this.executors.map((e) => e.close()));
    await fsp.rm(this.root, { recursive: true, force: true });
  }
}

export function killGroup(pgid: number): void {
  try {
    process.kill(-pgid, 'SIGKILL');
  } catch {
    // already gone
  }
}

/**
 * Unit tests run from source, so dist/images/whoami.js may not exist: compile
 * the whoami program (and what it imports) into `dir`, keeping the layout.
 */
export async function buildWhoami(dir: string): Promise<string> {
  const src = path.join(__dirname, '..');
  for (const rel of ['images/whoami.ts', 'images/whoami-server.ts', 'proxy-protocol.ts']) {
    const out = ts.transpileModule(await fsp.readFile(path.join(src, rel), 'utf8'), {
      compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true },
    });
    const target = path.join(dir, rel.replace(/\.ts$/, '.js'));
    await fsp.mkdir(path.dirname(target), { recursive: true });
    await fsp.writeFile(target, out.outputText);
  }
  return path.join(dir, 'images', 'whoami.js');
}

/** Polls `check` until it holds or `ms` pass: processes die asynchronously after a signal. */
export async function eventually<T>(check: () => Promise<T>, ok: (v: T) => boolean, ms = 3000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await check();
    if (ok(v) || Date.now() > deadline) return v;
    await new Promise((r) => setTimeout(r, 20));
  }
}
