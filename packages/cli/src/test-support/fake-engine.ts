// An in-memory EngineApi that records every call, so CLI tests need no daemon.
import {
  EngineApiError,
  type EngineApi,
  type Filters,
  type Node,
  type NodeSpec,
  type PingResult,
  type Swarm,
  type SwarmInitRequest,
  type SwarmJoinRequest,
  type SwarmSpec,
  type SwarmUpdateFlags,
  type SystemInfo,
  type SystemVersion,
} from '@shoal/api';
import { runCli } from '../cli';
import { buildInfo, buildSwarm } from './builders';

export class FakeEngine implements EngineApi {
  readonly host = 'unix:///fake/shoald.sock';
  readonly calls: string[] = [];
  nodes: Node[] = [];
  swarm: Swarm = buildSwarm();
  infoData: SystemInfo = buildInfo('nodeID');
  initNodeId = 'nodeID';
  /** Set to make every call fail with this daemon error. */
  failWith: EngineApiError | undefined;
  lastInit: SwarmInitRequest | undefined;
  lastJoin: SwarmJoinRequest | undefined;
  updates: Array<{ id: string; version: number; spec: NodeSpec }> = [];
  swarmUpdates: Array<{ version: number; spec: SwarmSpec; flags: SwarmUpdateFlags }> = [];

  private record(call: string): void {
    this.calls.push(call);
    if (this.failWith !== undefined) throw this.failWith;
  }

  async apiVersion(): Promise<string> {
    return '1.51';
  }
  async ping(): Promise<PingResult> {
    this.record('ping');
    return { apiVersion: '1.51', experimental: false };
  }
  async version(): Promise<SystemVersion> {
    this.record('version');
    return { Version: '0.1.0', ApiVersion: '1.51', Os: 'linux', Arch: 'amd64' };
  }
  async info(): Promise<SystemInfo> {
    this.record('info');
    return structuredClone(this.infoData);
  }
  async swarmInspect(): Promise<Swarm> {
    this.record('swarmInspect');
    return structuredClone(this.swarm);
  }
  async swarmInit(req: SwarmInitRequest): Promise<string> {
    this.record('swarmInit');
    this.lastInit = req;
    return this.initNodeId;
  }
  async swarmJoin(req: SwarmJoinRequest): Promise<void> {
    this.record('swarmJoin');
    this.lastJoin = req;
  }
  async swarmLeave(force = false): Promise<void> {
    this.record(`swarmLeave(${force})`);
  }
  async swarmUpdate(version: number, spec: SwarmSpec, flags: SwarmUpdateFlags = {}): Promise<void> {
    this.record('swarmUpdate');
    this.swarmUpdates.push({ version, spec, flags });
    if (flags.rotateWorkerToken) this.swarm.JoinTokens.Worker = 'rotated-worker-token';
    if (flags.rotateManagerToken) this.swarm.JoinTokens.Manager = 'rotated-manager-token';
  }
  async swarmUnlockKey(): Promise<{ UnlockKey: string }> {
    this.record('swarmUnlockKey');
    return { UnlockKey: 'unlock-key' };
  }
  async nodeList(filters?: Filters): Promise<Node[]> {
    this.record(`nodeList(${JSON.stringify(filters ?? {})})`);
    return structuredClone(this.nodes);
  }
  async nodeInspect(id: string): Promise<Node> {
    this.record(`nodeInspect(${id})`);
    const node = this.nodes.find((n) => n.ID === id || n.Description.Hostname === id);
    if (node === undefined) throw new EngineApiError(404, `node ${id} not found`);
    return structuredClone(node);
  }
  async nodeUpdate(id: string, version: number, spec: NodeSpec): Promise<void> {
    this.record(`nodeUpdate(${id},${version})`);
    this.updates.push({ id, version, spec });
  }
  async nodeRemove(id: string, force = false): Promise<void> {
    this.record(`nodeRemove(${id},${force})`);
    if (!this.nodes.some((n) => n.ID === id)) throw new EngineApiError(404, `node ${id} not found`);
  }
}

export interface RunResult {
  code: number;
  out: string;
  err: string;
}

/** Runs the CLI against `engine`, capturing output. */
export async function run(engine: FakeEngine, ...argv: string[]): Promise<RunResult> {
  let out = '';
  let err = '';
  const code = await runCli(argv, {
    io: { out: (s) => (out += s), err: (s) => (err += s), env: {} },
    clientFactory: () => engine,
  });
  return { code, out, err };
}
