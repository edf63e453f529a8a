// Control calls forwarded by follower managers to the leader, which runs them
// against its ControlApi. Errors travel as {code, message} so their text survives.
import type * as grpc from '@grpc/grpc-js';
import type { ControlCallRequest, ControlCallResponse, LogRecordWithOrigin, SubscribeLogsRequest } from '@shoal/wire';
import type { LogQuery } from './log-broker';
import type { ControlApi } from './control-api';
import { callerIdentity, toServiceError } from './identity';
import { notLeaderError } from './raft/raft-server';

/** ControlApi methods a follower may forward. */
export const FORWARDED_METHODS = [
  'cluster',
  'updateCluster',
  'nodes',
  'node',
  'updateNode',
  'removeNode',
  'services',
  'service',
  'createService',
  'updateService',
  'removeService',
  'tasks',
  'task',
  'networks',
  'createNetwork',
  'removeNetwork',
  'pruneNetworks',
] as const;
export type ForwardedMethod = (typeof FORWARDED_METHODS)[number];

export interface ControlServerDeps {
  control: ControlApi;
  isLeader: () => boolean;
  leaderAddr: () => string | null;
  clusterId: () => string;
  revoked: () => readonly string[];
  logs: (target: SubscribeLogsRequest['target'], query: LogQuery, signal: AbortSignal) => AsyncIterable<LogRecordWithOrigin>;
}

export async function invokeControl(control: ControlApi, method: string, args: unknown[]): Promise<unknown> {
  if (!(FORWARDED_METHODS as readonly string[]).includes(method)) throw new Error(`unknown control method ${method}`);
  const fn = (control as unknown as Record<string, (...a: unknown[]) => unknown>)[method];
  return await (fn as (...a: unknown[]) => unknown).apply(control, args);
}

export function controlHandlers(deps: ControlServerDeps): grpc.UntypedServiceImplementation {
  return {
    Call: (call: grpc.ServerUnaryCall<ControlCallRequest, ControlCallResponse>, cb: grpc.sendUnaryData<ControlCallResponse>) => {
      try {
        callerIdentity(call, deps.clusterId(), ['manager'], deps.revoked());
        if (!deps.isLeader()) throw notLeaderError(deps.leaderAddr());
      } catch (err) {
        return cb(toServiceError(err));
      }
      invokeControl(deps.control, call.request.method, call.request.args).then(
        (result) => cb(null, result === undefined ? { ok: true } : { ok: true, result }),
        (err: unknown) =>
          cb(null, { ok: false, code: String((err as { code?: unknown }).code ?? 'INTERNAL'), message: (err as Error).message }),
      );
    },
    SubscribeLogs: (call: grpc.ServerWritableStream<SubscribeLogsRequest, LogRecordWithOrigin>) => {
      const abort = new AbortController();
      call.on('cancelled', () => abort.abort());
      const run = async () => {
        callerIdentity(call, deps.clusterId(), ['manager'], deps.revoked());
        if (!deps.isLeader()) throw notLeaderError(deps.leaderAddr());
        const { target, ...query } = call.request;
        for await (const rec of deps.logs(target, query, abort.signal)) {
          if (!call.write(rec)) await new Promise((r) => call.once('drain', r));
        }
        call.end();
      };
      run().catch((err: unknown) => {
        // Typed errors travel as "CODE: message" in the status details.
        const code = (err as { code?: unknown }).code;
        const status = toServiceError(err);
        call.emit('error', typeof code === 'string' ? { ...status, details: `${code}: ${(err as Error).message}` } : status);
      });
    },
  };
}
