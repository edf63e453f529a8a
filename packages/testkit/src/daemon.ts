// One real `shoald` process under test, bound to its own loopback alias (or run in
// a netns), with helpers to drive it through the shoal CLI, the docker CLI and the
// Engine API on its unix socket.
//
//   const d = await startDaemon({ name: 'solo', ip: '127.0.3.1' });   // resolves once GET /_ping answers
//   expect((await d.cliOk(['info'])).stdout).toContain('Swarm: inactive');
//   await d.kill();        // SIGKILL by PID, with the processes it spawned (a host crash)
//   await d.restart();     // same data dir, waits for /_ping again
//
// stdout and stderr go to `<dataDir>/shoald.log` (appended across restarts, with
// `# testkit:` marker lines); `logs()`/`logTail()` read it.
import { appendFileSync, closeSync, existsSync, mkdirSync, openSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { removeFastPathRules } from '@shoal/mesh';
import { DaemonStartError, TestkitConfigError, WaitTimeoutError } from './errors';
import { EngineHttp, type PingResult } from './engine-http';
import { MAX_SOCKET_PATH, NETNS_SCRIPT, cliScript, daemonScript, dockerBinary, makeTempRoot } from './paths';
import { descendants } from './proc';
import { killProcessTree, killSurvivors, spawnTracked, type ExitStatus, type TrackedProcess } from './process-registry';
import { registerResource, registerTempDir } from './resources';
import { expectSuccess, runCommand, type CommandResult } from './run-command';
import { waitFor } from './wait-for';

export interface StartDaemonOptions {
  /** Node name: passed as `--hostname`, used in logs and `cluster.byName()`. */
  name: string;
  /** The address this node binds and advertises once in a swarm, e.g. `127.0.1.2` (loopback alias) or `10.77.0.101` (netns). */
  ip: string;
  /** Default `<tmpdir>/shoal-test-XXXXXX/<name>`, removed after a passing test. A given dir is never removed. */
  dataDir?: string;
  /** Merged over process.env for the daemon. */
  env?: NodeJS.ProcessEnv;
  /** Appended to the daemon's command line. */
  extraArgs?: readonly string[];
  /** Node options for the daemon's process, after those of $SHOAL_DAEMON_NODE_ARGS (e.g. one benchmark's variant). */
  nodeArgs?: readonly string[];
  /** `--log-level`; default $SHOAL_TEST_LOG_LEVEL or `info`. */
  logLevel?: string;
  /** Daemon entry script; default $SHOAL_DAEMON_BIN or packages/daemon/dist/bin.js. */
  daemonScript?: string;
  /** CLI entry script for `cli()`; default $SHOAL_CLI_BIN or packages/cli/dist/bin.js. */
  cliScript?: string;
  /** Run inside this network namespace of scripts/netns-cluster (`manager`, `worker1`, `worker2`). */
  netns?: string;
  /** Deadline for `GET /_ping` to answer after each start. Default 20 000 ms. */
  readyTimeoutMs?: number;
}

export interface ToolOptions {
  /** Merged over the tool's environment. */
  env?: NodeJS.ProcessEnv;
  input?: string;
  /** Default 30 000 ms; the command is killed (by PID) past it. */
  timeoutMs?: number;
}

export interface StopOptions {
  /** How long to wait after SIGTERM before SIGKILL. Default 10 000 ms. */
  timeoutMs?: number;
  /**
   * Processes the daemon spawned (tasks) that outlive it: `kill` (default) SIGKILLs
   * them by PID and notes it in the log; `keep` leaves them, e.g. to test adoption on restart.
   */
  leftovers?: 'kill' | 'keep';
}

export interface KillOptions {
  /** Signal the daemon's descendants too. Default: true for SIGKILL, SIGSTOP and SIGCONT, else false. */
  tree?: boolean;
}

export interface DaemonHandle {
  readonly name: string;
  readonly ip: string;
  readonly dataDir: string;
  /** `<dataDir>/shoald.sock`. */
  readonly socketPath: string;
  /** `<dataDir>/shoald.log`. */
  readonly logPath: string;
  readonly netns: string | undefined;
  /** PID of the current process (changes on restart). */
  readonly pid: number;
  readonly running: boolean;
  /** Engine API over the unix socket. */
  readonly api: EngineHttp;
  /** Runs the shoal CLI against this daemon (`SHOAL_HOST=unix://…`). Never throws on a non-zero exit. */
  cli(args: readonly string[], options?: ToolOptions): Promise<CommandResult>;
  /** Like `cli`, but throws CommandFailedError (with stdout/stderr) unless it exits 0. */
  cliOk(args: readonly string[], options?: ToolOptions): Promise<CommandResult>;
  /** Runs the unmodified docker CLI with `DOCKER_HOST=unix://…`. */
  docker(args: readonly string[], options?: ToolOptions): Promise<CommandResult>;
  dockerOk(args: readonly string[], options?: ToolOptions): Promise<CommandResult>;
  ping(): Promise<PingResult>;
  /** Sends `signal` by PID. For SIGKILL resolves once the daemon has exited; otherwise once sent. */
  kill(signal?: NodeJS.Signals, options?: KillOptions): Promise<void>;
  /** SIGTERM (and SIGCONT, in case it is stopped), wait for exit, SIGKILL past the deadline. Idempotent. */
  stop(options?: StopOptions): Promise<ExitStatus | undefined>;
  /** Stops if running, starts again on the same data dir, waits for `/_ping`. */
  restart(options?: StopOptions): Promise<void>;
  /** Resolves with the exit status; rejects with WaitTimeoutError past the deadline. */
  waitForExit(timeoutMs?: number): Promise<ExitStatus>;
  /** Everything the daemon wrote so far (all runs). */
  logs(): string;
  logTail(lines?: number): string;
}

const registered = new Set<DaemonHandle>();

/** Daemons started by this test file and not yet released by the cleanup hooks. */
export function registeredDaemons(): DaemonHandle[] {
  return [...registered];
}

export async function startDaemon(options: StartDaemonOptions): Promise<DaemonHandle> {
  validateIp(options.ip);
  let dataDir = options.dataDir;
  if (dataDir === undefined) {
    const root = makeTempRoot();
    registerTempDir(root);
    dataDir = join(root, options.name);
  }
  const daemon = new ShoalDaemon(options, dataDir);
  registered.add(daemon);
  registerResource({
    label: `shoald ${options.name}`,
    release: async () => {
      await daemon.stop({ timeoutMs: 5_000 });
      registered.delete(daemon);
    },
  });
  await daemon.start();
  return daemon;
}

class ShoalDaemon implements DaemonHandle {
  readonly name: string;
  readonly ip: string;
  readonly socketPath: string;
  readonly logPath: string;
  readonly netns: string | undefined;
  readonly api: EngineHttp;
  private process: TrackedProcess | undefined;

  constructor(
    private readonly options: StartDaemonOptions,
    readonly dataDir: string,
  ) {
    this.name = options.name;
    this.ip = options.ip;
    this.netns = options.netns;
    this.socketPath = join(dataDir, 'shoald.sock');
    this.logPath = join(dataDir, 'shoald.log');
    if (Buffer.byteLength(this.socketPath) > MAX_SOCKET_PATH) {
      throw new TestkitConfigError(`unix socket path too long (>${MAX_SOCKET_PATH} bytes): ${this.socketPath}; use a shorter dataDir`);
    }
    this.api = new EngineHttp(this.socketPath);
  }

  get pid(): number {
    if (!this.process) throw new Error(`shoald ${this.name} has not been started`);
    return this.process.pid;
  }

  get running(): boolean {
    return this.process !== undefined && this.process.exitStatus() === undefined;
  }

  async start(): Promise<void> {
    if (this.running) throw new Error(`shoald ${this.name} is already running (pid ${this.pid})`);
    mkdirSync(this.dataDir, { recursive: true });
    const { command, args } = this.commandLine();
    this.note(`starting shoald ${this.name}: ${[command, ...args].join(' ')}`);
    const log = openSync(this.logPath, 'a');
    try {
      this.process = spawnTracked(command, args, { env: this.daemonEnv(), stdio: ['ignore', log, log] }, `shoald ${this.name}`);
    } finally {
      closeSync(log); // the child holds its own copy
    }
    this.note(`pid ${this.process.pid}`);
    await this.waitReady(this.process);
  }

  private commandLine(): { command: string; args: string[] } {
    const level = this.options.logLevel ?? process.env['SHOAL_TEST_LOG_LEVEL'] ?? 'info';
    const node = [
      process.execPath,
      '--enable-source-maps',
      // e.g. SHOAL_DAEMON_NODE_ARGS='--cpu-prof --cpu-prof-dir=/tmp/prof' to profile the daemons of a run.
      ...(process.env['SHOAL_DAEMON_NODE_ARGS']?.split(' ').filter(Boolean) ?? []),
      ...(this.options.nodeArgs ?? []),
      daemonScript(this.options.daemonScript),
      '--data-dir',
      this.dataDir,
      '--hostname',
      this.name,
      '--log-level',
      level,
      ...(this.options.extraArgs ?? []),
    ];
    // `netns-cluster exec` execs all the way down, so the PID we get is node's.
    const full = this.netns === undefined ? node : [NETNS_SCRIPT, 'exec', this.netns, ...node];
    const [command, ...args] = full as [string, ...string[]];
    return { command, args };
  }

  private daemonEnv(): NodeJS.ProcessEnv {
    const env: NodeJS.ProcessEnv = { ...process.env, SHOAL_HOME: this.dataDir, ...this.options.env };
    delete env['SHOAL_HOST'];
    delete env['DOCKER_HOST'];
    return env;
  }

  private async waitReady(proc: TrackedProcess): Promise<void> {
    const timeoutMs = this.options.readyTimeoutMs ?? 20_000;
    const probe = new EngineHttp(this.socketPath, { timeoutMs: 1_000 });
    const exitedEarly = new AbortController();
    void proc.exited.then((status) =>
      exitedEarly.abort(
        new DaemonStartError(
          `shoald ${this.name} exited (${describeExit(status)}) before answering GET /_ping\n${this.tailBlock(40)}`,
        ),
      ),
    );
    try {
      await waitFor(
        async () => {
          const ping = await probe.ping();
          if (!ping.ok) throw new Error(`GET /_ping answered but not with 200 OK`);
          return ping;
        },
        { what: `shoald ${this.name} to answer GET /_ping on ${this.socketPath}`, timeoutMs, intervalMs: 25, signal: exitedEarly.signal },
      );
    } catch (error) {
      if (!(error instanceof WaitTimeoutError)) throw error;
      await this.kill('SIGKILL');
      throw new DaemonStartError(`${error.message}; killed pid ${proc.pid}\n${this.tailBlock(40)}`, { cause: error });
    }
  }

  async cli(args: readonly string[], options: ToolOptions = {}): Promise<CommandResult> {
    const env = { ...process.env, SHOAL_HOST: `unix://${this.socketPath}`, ...options.env };
    return runCommand(process.execPath, ['--enable-source-maps', '--', cliScript(this.options.cliScript), ...args], toRunOptions(env, options));
  }

  async cliOk(args: readonly string[], options?: ToolOptions): Promise<CommandResult> {
    return expectSuccess(`shoal ${redact(args)} (on ${this.name})`, await this.cli(args, options));
  }

  docker(args: readonly string[], options: ToolOptions = {}): Promise<CommandResult> {
    const env: NodeJS.ProcessEnv = { ...process.env, DOCKER_HOST: `unix://${this.socketPath}`, ...options.env };
    // Any of these would point the CLI elsewhere or make it refuse DOCKER_HOST.
    for (const key of ['DOCKER_CONTEXT', 'DOCKER_TLS_VERIFY', 'DOCKER_CERT_PATH']) delete env[key];
    return runCommand(dockerBinary(), args, toRunOptions(env, options));
  }

  async dockerOk(args: readonly string[], options?: ToolOptions): Promise<CommandResult> {
    return expectSuccess(`docker ${redact(args)} (on ${this.name})`, await this.docker(args, options));
  }

  ping(): Promise<PingResult> {
    return this.api.ping();
  }

  async kill(signal: NodeJS.Signals = 'SIGKILL', options: KillOptions = {}): Promise<void> {
    const proc = this.process;
    if (!proc || proc.exitStatus() !== undefined) return;
    const tree = options.tree ?? ['SIGKILL', 'SIGSTOP', 'SIGCONT'].includes(signal);
    this.note(`sending ${signal} to pid ${proc.pid}${tree ? ' and its descendants' : ''}`);
    killProcessTree(proc.pid, signal, tree);
    if (signal === 'SIGKILL') {
      await proc.exited;
      await this.removeKernelRules();
    }
  }

  /** A daemon killed before it could clean up leaves its ingress DNAT rules behind (loopback tiers share one kernel). */
  private async removeKernelRules(): Promise<void> {
    if (this.netns !== undefined || process.getuid?.() !== 0) return;
    await removeFastPathRules(this.ip).catch(() => undefined);
  }

  async stop(options: StopOptions = {}): Promise<ExitStatus | undefined> {
    const proc = this.process;
    if (!proc) return undefined;
    const already = proc.exitStatus();
    if (already) return already;
    const { timeoutMs = 10_000, leftovers = 'kill' } = options;
    const family = descendants(proc.pid);
    this.note(`stopping pid ${proc.pid} (SIGTERM, SIGKILL after ${timeoutMs}ms)`);
    killProcessTree(proc.pid, 'SIGTERM', false);
    killProcessTree(proc.pid, 'SIGCONT', false);
    let status = await exitWithin(proc, timeoutMs);
    if (!status) {
      this.note(`pid ${proc.pid} still running ${timeoutMs}ms after SIGTERM; SIGKILL`);
      family.push(...descendants(proc.pid));
      killProcessTree(proc.pid, 'SIGKILL');
      status = await proc.exited;
    }
    if (leftovers === 'kill') {
      const killed = killSurvivors(family);
      if (killed.length > 0) this.note(`killed ${killed.length} leftover process(es) after exit: ${killed.join(', ')}`);
    }
    await this.removeKernelRules();
    this.note(`exited (${describeExit(status)})`);
    return status;
  }

  async restart(options?: StopOptions): Promise<void> {
    await this.stop(options);
    await this.start();
  }

  async waitForExit(timeoutMs = 10_000): Promise<ExitStatus> {
    const proc = this.process;
    if (!proc) throw new Error(`shoald ${this.name} has not been started`);
    const status = await exitWithin(proc, timeoutMs);
    if (!status) throw new WaitTimeoutError(`shoald ${this.name} (pid ${proc.pid}) still running after ${timeoutMs}ms`, undefined);
    return status;
  }

  logs(): string {
    return existsSync(this.logPath) ? readFileSync(this.logPath, 'utf8') : '';
  }

  logTail(lines = 80): string {
    return this.logs().trimEnd().split('\n').slice(-lines).join('\n');
  }

  private tailBlock(lines: number): string {
    return `--- last ${lines} lines of ${this.logPath} ---\n${this.logTail(lines)}\n--- end of log ---`;
  }

  /** A marker line in the daemon's log, so restarts and kills show up in context. */
  private note(text: string): void {
    try {
      appendFileSync(this.logPath, `# testkit ${new Date().toISOString()}: ${text}\n`);
    } catch {
      // The data dir may be gone after cleanup; a missing marker loses nothing.
    }
  }
}

function exitWithin(proc: TrackedProcess, timeoutMs: number): Promise<ExitStatus | undefined> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(undefined), timeoutMs);
    void proc.exited.then((status) => {
      clearTimeout(timer);
      resolve(status);
    });
  });
}

function toRunOptions(env: NodeJS.ProcessEnv, options: ToolOptions): { env: NodeJS.ProcessEnv; input?: string; timeoutMs?: number } {
  return {
    env,
    ...(options.input !== undefined && { input: options.input }),
    ...(options.timeoutMs !== undefined && { timeoutMs: options.timeoutMs }),
  };
}

/** Join tokens stay out of error messages. */
function redact(args: readonly string[]): string {
  return args.map((arg, i) => (args[i - 1] === '--token' ? '<token>' : arg.replace(/SWMTKN-1-\S+/g, '<token>'))).join(' ');
}

export function describeExit(status: ExitStatus): string {
  return status.signal ? `signal ${status.signal}` : `code ${status.code}`;
}

function validateIp(ip: string): void {
  const parts = ip.split('.');
  if (parts.length !== 4 || parts.some((part) => !/^\d{1,3}$/.test(part) || Number(part) > 255)) {
    throw new TestkitConfigError(`not an IPv4 address: '${ip}'`);
  }
}
