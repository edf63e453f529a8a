// Control calls forwarded by follower managers to the leader, which runs them
// against its ControlApi. Errors travel as {code, message} so their text survives.
import type * as grpc from '@grpc/grpc-js';
import type { ControlCallRequest, ControlCallResponse } from '@shoal/wire';
import type { ControlApi } from './control-api';
import { callerIdentity, toServiceError } from './identity';
import { notLeaderError } from './raft/raft-server';

/** ControlApi methods a follower may forward. */
export const FORWARDED_METHODS = ['cluster', 'updateCluster', 'nodes', 'node', 'updateNode', 'removeNode'] as const;
export type ForwardedMethod = (typeof FORWARDED_METHODS)[number];

export interface ControlServerDeps {
  control: ControlApi;
  isLeader: () => boolean;
  leaderAddr: () => string | null;
  clusterId: () => string;
  revoked: () => readonly string[];
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
  };
}
