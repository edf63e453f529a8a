// Raft between managers, the serving side. A Raft link (see listener.ts) carries a peer's
// message batches; the gRPC Step call carries snapshots, whose sender must learn the outcome;
// Join (leader only) adds a promoted manager as a learner.
import type { TLSSocket } from 'node:tls';
import * as grpc from '@grpc/grpc-js';
import { decodeMessages } from '@shoal/raft';
import { FrameDecoder, type RaftJoinRequest, type RaftJoinResponse, type RaftStepRequest, type RaftStepResponse } from '@shoal/wire';
import type { Logger } from 'pino';
import { GrpcError, callerIdentity, certificateIdentity, toServiceError } from '../identity';

/** A batch of appends is bounded by the core's message size; snapshots do not travel on links. */
const MAX_LINK_FRAME_BYTES = 64 * 1024 * 1024;
/** A link's reader acknowledges what it reads, at most this often (the sender cuts silent links). */
const LINK_ACK_INTERVAL_MS = 250;
const LINK_ACK = Buffer.from([0]);
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
    Join: (call: grpc.ServerUnaryCall<RaftJoinRequest, RaftJoinResponse>, cb: grpc.sendUnaryData<RaftJoinResponse>) => {
      const run = async (): Promise<RaftJoinResponse> => {
        const caller = callerIdentity(call, deps.clusterId(), ['manager'], deps.revoked());
        const replica = deps.replica();
        if (!replica || !replica.isLeader) throw notLeaderError(deps.leaderAddr());
        const { voters, learners } = replica.members();
        // Join comes from a manager with empty Raft state. A member that asks again lost its
        // state (or never heard its removal): it must not stay a voter with an empty log (its
        // vote could elect a leader missing committed entries), so it goes out, then in again
        // as a learner that catches up before it votes.
        if (voters.includes(caller.nodeId) || learners.includes(caller.nodeId)) {
          deps.logger.warn({ nodeId: caller.nodeId }, 'a raft member joins again with empty state: removing it before adding it back as a learner');
          await replica.changeMembership({ type: 'remove-node', nodeId: caller.nodeId });
        }
        deps.logger.info({ nodeId: caller.nodeId, addr: call.request.addr }, 'adding manager to raft as a learner');
        await replica.changeMembership({ type: 'add-learner', nodeId: caller.nodeId, addr: call.request.addr });
        return { members: [...replica.members().addrs].map(([nodeId, addr]) => ({ nodeId, addr })) };
      };
      run().then(
        (res) => cb(null, res),
        (err: unknown) => cb(toServiceError(err)),
      );
    },
  };
}

/**
 * Serves one Raft link: a peer manager's verified certificate is checked once, then each frame
 * is a batch of messages for the local replica. What arrives is acknowledged with one byte, at
 * most every LINK_ACK_INTERVAL_MS, so the sender can tell a stalled link from a quiet one. A member removed while its link is open is cut
 * off at its next frame; a batch the replica rejects closes the link (the sender reconnects).
 */
export function raftLinkHandler(deps: RaftServerDeps): (socket: TLSSocket) => void {
  return (socket) => {
    let caller: string;
    try {
      if (!socket.authorized) throw new GrpcError(grpc.status.UNAUTHENTICATED, 'no verified client certificate presented');
      caller = certificateIdentity(socket.getPeerCertificate().raw, deps.clusterId(), ['manager'], deps.revoked()).nodeId;
    } catch (err) {
      deps.logger.warn({ err: (err as Error).message, peer: socket.remoteAddress }, 'raft link refused');
      socket.destroy();
      return;
    }
    const frames = new FrameDecoder(MAX_LINK_FRAME_BYTES);
    let lastAck = 0;
    let ackTimer: NodeJS.Timeout | null = null;
    const ack = () => {
      ackTimer = null;
      lastAck = Date.now();
      if (!socket.destroyed) socket.write(LINK_ACK);
    };
    socket.once('close', () => {
      if (ackTimer) clearTimeout(ackTimer);
    });
    socket.on('data', (chunk: Buffer) => {
      if (!ackTimer) {
        const wait = lastAck + LINK_ACK_INTERVAL_MS - Date.now();
        if (wait <= 0) ack();
        else ackTimer = setTimeout(ack, wait);
      }
      try {
        for (const frame of frames.push(chunk)) {
          if (deps.revoked().includes(caller)) throw new Error(`node ${caller} was removed from swarm`);
          const replica = deps.replica();
          if (!replica) throw new Error('raft is not running on this node');
          replica.step(decodeMessages(frame));
        }
      } catch (err) {
        deps.logger.warn({ err: (err as Error).message, from: caller }, 'raft link closed');
        socket.destroy();
      }
    });
    socket.on('error', () => socket.destroy());
  };
}
