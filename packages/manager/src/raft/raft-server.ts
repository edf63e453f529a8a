// gRPC handlers for Raft between managers: Step delivers messages to the local
// replica; Join (leader only) adds a promoted manager as a learner.
import * as grpc from '@grpc/grpc-js';
import { decodeMessages } from '@shoal/raft';
import type { RaftJoinRequest, RaftJoinResponse, RaftStepRequest, RaftStepResponse } from '@shoal/wire';
import type { Logger } from 'pino';
import { GrpcError, callerIdentity, toServiceError } from '../identity';
import type { RaftReplica } from './replica';

export interface RaftServerDeps {
  replica: () => RaftReplica | null;
  clusterId: () => string;
  revoked: () => readonly string[];
  /** host:port of the current leader, for redirects. */
  leaderAddr: () => string | null;
  logger: Logger;
}

export function notLeaderError(leaderAddr: string | null): GrpcError {
  return new GrpcError(grpc.status.FAILED_PRECONDITION, `this manager is not the leader; leader=${leaderAddr ?? ''}`);
}

/** The leader address in a not-leader refusal, if any. */
export function leaderFromError(err: unknown): string | null {
  const details = (err as { details?: string }).details ?? '';
  const m = /not the leader; leader=(\S+)/.exec(details);
  return m?.[1] ?? null;
}

export function raftHandlers(deps: RaftServerDeps): grpc.UntypedServiceImplementation {
  return {
    Step: (call: grpc.ServerUnaryCall<RaftStepRequest, RaftStepResponse>, cb: grpc.sendUnaryData<RaftStepResponse>) => {
      try {
        callerIdentity(call, deps.clusterId(), ['manager'], deps.revoked());
        const replica = deps.replica();
        if (!replica) throw new GrpcError(grpc.status.UNAVAILABLE, 'raft is not running on this node');
        replica.step(decodeMessages(call.request));
        cb(null, {});
      } catch (err) {
        cb(toServiceError(err));
      }
    },
    StepStream: (call: grpc.ServerReadableStream<RaftStepRequest, RaftStepResponse>, cb: grpc.sendUnaryData<RaftStepResponse>) => {
      let failed = false;
      const fail = (err: unknown) => {
        if (failed) return;
        failed = true;
        cb(toServiceError(err));
      };
      let caller: string;
      try {
        caller = callerIdentity(call, deps.clusterId(), ['manager'], deps.revoked()).nodeId;
      } catch (err) {
        return fail(err);
      }
      call.on('data', (req: RaftStepRequest) => {
        if (failed) return;
        // The certificate is checked once per stream; a member removed while its stream is open is cut off here.
        if (deps.revoked().includes(caller)) return fail(new GrpcError(grpc.status.PERMISSION_DENIED, `node ${caller} was removed from swarm`));
        const replica = deps.replica();
        if (!replica) return fail(new GrpcError(grpc.status.UNAVAILABLE, 'raft is not running on this node'));
        try {
          replica.step(decodeMessages(req));
        } catch (err) {
          // As the unary Step does: the sender hears of it; this manager does not crash.
          deps.logger.error({ err, from: caller }, 'raft rejected a message batch');
          fail(err);
        }
      });
      call.on('end', () => {
        if (!failed) cb(null, {});
      });
      call.on('error', () => {
        failed = true;
      });
    },
    Join: (call: grpc.ServerUnaryCall<RaftJoinRequest, RaftJoinResponse>, cb: grpc.sendUnaryData<RaftJoinResponse>) => {
      const run = async (): Promise<RaftJoinResponse> => {
        const caller = callerIdentity(call, deps.clusterId(), ['manager'], deps.revoked());
        const replica = deps.replica();
        if (!replica || !replica.isLeader) throw notLeaderError(deps.leaderAddr());
        const { voters, learners } = replica.members();
        if (!voters.includes(caller.nodeId) && !learners.includes(caller.nodeId)) {
          deps.logger.info({ nodeId: caller.nodeId, addr: call.request.addr }, 'adding manager to raft as a learner');
          await replica.changeMembership({ type: 'add-learner', nodeId: caller.nodeId, addr: call.request.addr });
        }
        return { members: [...replica.members().addrs].map(([nodeId, addr]) => ({ nodeId, addr })) };
      };
      run().then(
        (res) => cb(null, res),
        (err: unknown) => cb(toServiceError(err)),
      );
    },
  };
}
