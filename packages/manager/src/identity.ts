// Who is calling: the verified client certificate of a gRPC call.
import * as grpc from '@grpc/grpc-js';
import { authorize, parseNodeCertificate } from '@shoal/pki';
import { peerCertificate } from '@shoal/wire';
import type { NodeRole } from '@shoal/store';

export interface CallerIdentity {
  nodeId: string;
  role: NodeRole;
  clusterId: string;
}

export class GrpcError extends Error implements Partial<grpc.StatusObject> {
  constructor(
    readonly code: grpc.status,
    readonly details: string,
  ) {
    super(details);
  }
}

type AuthCall = Parameters<typeof peerCertificate>[0];

/** The caller's identity, or a gRPC error when it has no valid certificate of this cluster. */
export function callerIdentity(
  call: AuthCall,
  clusterId: string,
  allowed: readonly NodeRole[],
  revoked: readonly string[] = [],
): CallerIdentity {
  return certificateIdentity(peerCertificate(call), clusterId, allowed, revoked);
}

/** The identity in a verified peer certificate (DER), or a gRPC error when it is missing or not allowed. */
export function certificateIdentity(
  der: Buffer | undefined,
  clusterId: string,
  allowed: readonly NodeRole[],
  revoked: readonly string[] = [],
): CallerIdentity {
  if (!der) throw new GrpcError(grpc.status.UNAUTHENTICATED, 'no client certificate presented');
  const id = parsedCertificate(der);
  try {
    authorize(id, allowed, { clusterId, removedNodeIds: new Set(revoked) });
  } catch (err) {
    throw new GrpcError(grpc.status.PERMISSION_DENIED, (err as Error).message);
  }
  return { nodeId: id.nodeId, role: id.role, clusterId: id.clusterId };
}

// Parsing X.509 (ASN.1) on every call is costly and peers reuse one certificate: keep the last few.
const identityCache = new Map<string, ReturnType<typeof parseNodeCertificate>>();

function parsedCertificate(der: Buffer): ReturnType<typeof parseNodeCertificate> {
  const key = der.toString('base64');
  let id = identityCache.get(key);
  if (!id) {
    id = parseNodeCertificate(der);
    if (identityCache.size >= 256) identityCache.delete(identityCache.keys().next().value as string);
    identityCache.set(key, id);
  }
  return id;
}

/** Converts a thrown error into the callback form grpc-js expects. */
export function toServiceError(err: unknown): Partial<grpc.StatusObject> {
  if (err instanceof GrpcError) return { code: err.code, details: err.details };
  const code = (err as { code?: unknown }).code;
  // A gRPC client's error, e.g. the leader's answer to a forwarded call: passed on as it came.
  const details = (err as { details?: unknown }).details;
  if (typeof code === 'number' && typeof details === 'string') return { code, details };
  const message = err instanceof Error ? err.message : String(err);
  switch (code) {
    case 'NOT_FOUND':
      return { code: grpc.status.NOT_FOUND, details: message };
    case 'INVALID_ARGUMENT':
      return { code: grpc.status.INVALID_ARGUMENT, details: message };
    case 'PERMISSION_DENIED':
      return { code: grpc.status.PERMISSION_DENIED, details: message };
    case 'FAILED_PRECONDITION':
      return { code: grpc.status.FAILED_PRECONDITION, details: message };
    case 'UNAVAILABLE':
      return { code: grpc.status.UNAVAILABLE, details: message };
    default:
      return { code: grpc.status.INTERNAL, details: message };
  }
}
