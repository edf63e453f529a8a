import { defineService, serverStream, unary } from './grpc-service';
import type {
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
};
export const CAService = defineService('shoal.CA', CAMethods);

export const DispatcherMethods = {
  Session: serverStream<SessionRequest, SessionMessage>(),
  Heartbeat: unary<HeartbeatRequest, HeartbeatResponse>(),
};
export const DispatcherService = defineService('shoal.Dispatcher', DispatcherMethods);
