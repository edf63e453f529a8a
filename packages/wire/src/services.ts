import { RAW_BYTES, defineService, serverStream, unary } from './grpc-service';
import type {
  LogRecordWithOrigin,
  PublishLogsRequest,
  PublishLogsResponse,
  SubscribeLogsRequest,
  UpdateTaskStatusRequest,
  UpdateTaskStatusResponse,
  ControlCallRequest,
  ControlCallResponse,
  RaftJoinRequest,
  RaftJoinResponse,
  RaftStepRequest,
  RaftStepResponse,
  RenewCertificateRequest,
  RenewCertificateResponse,
  GetRootCARequest,
  GetRootCAResponse,
  HeartbeatRequest,
  HeartbeatResponse,
  IssueNodeCertificateRequest,
  IssueNodeCertificateResponse,
  SessionMessage,
  SessionRequest,
} from './messages';

export const CAMethods = {
  GetRootCACertificate: unary<GetRootCARequest, GetRootCAResponse>(),
  IssueNodeCertificate: unary<IssueNodeCertificateRequest, IssueNodeCertificateResponse>(),
  /** Mutual TLS: a node's fresh certificate for its current desired role. */
  RenewCertificate: unary<RenewCertificateRequest, RenewCertificateResponse>(),
};
export const CAService = defineService('shoal.CA', CAMethods);

export const DispatcherMethods = {
  Session: serverStream<SessionRequest, SessionMessage>(),
  Heartbeat: unary<HeartbeatRequest, HeartbeatResponse>(),
  UpdateTaskStatus: unary<UpdateTaskStatusRequest, UpdateTaskStatusResponse>(),
  PublishLogs: unary<PublishLogsRequest, PublishLogsResponse>(),
};
export const DispatcherService = defineService('shoal.Dispatcher', DispatcherMethods);

export const RaftMethods = {
  /** One batch; used for snapshots, whose outcome the sender must learn (other batches travel on Raft links). */
  Step: unary<RaftStepRequest, RaftStepResponse>(RAW_BYTES),
  /** A promoted node asks the leader to add it as a (learner, then voting) member. */
  Join: unary<RaftJoinRequest, RaftJoinResponse>(),
};
export const RaftService = defineService('shoal.Raft', RaftMethods);

export const ControlMethods = {
  Call: unary<ControlCallRequest, ControlCallResponse>(),
  /** Follower → leader: stream logs gathered by the leader's broker. */
  SubscribeLogs: serverStream<SubscribeLogsRequest, LogRecordWithOrigin>(),
};
export const ControlService = defineService('shoal.Control', ControlMethods);
