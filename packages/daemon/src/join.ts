// The joiner's side of the bootstrap: fetch the root CA without trusting it, pin it
// to the token's digest, then trade the token and a CSR for a node certificate.
import { createKeyAndCSR, parseJoinToken, verifyRootCA } from '@shoal/pki';
import { InvalidArgumentError, ShoalError, UnavailableError, rpcText } from '@shoal/store';
import {
  CAMethods,
  CAService,
  GrpcStatus,
  bootstrapCredentials,
  createClient,
  insecureFetchCredentials,
  type IssueNodeCertificateResponse,
  type NodeAvailability,
  type TlsMaterial,
} from '@shoal/wire';

export interface JoinRequest {
  remoteAddr: string;
  token: string;
  hostname: string;
  advertiseAddr: string;
  availability?: NodeAvailability;
  timeoutMs?: number;
}

export interface JoinResult {
  tls: TlsMaterial;
  issued: IssueNodeCertificateResponse;
}

const GRPC_CODE_NAMES: Record<number, string> = Object.fromEntries(
  Object.entries(GrpcStatus)
    .filter(([, v]) => typeof v === 'number')
    .map(([k, v]) => [v as number, k.split('_').map((w) => w[0] + w.slice(1).toLowerCase()).join('')]),
);

export async function joinCluster(req: JoinRequest): Promise<JoinResult> {
  let token;
  try {
    token = parseJoinToken(req.token);
  } catch (err) {
    throw new InvalidArgumentError((err as Error).message, { cause: err });
  }
  const timeoutMs = req.timeoutMs ?? 20_000;
  const fetcher = createClient(CAService, CAMethods, req.remoteAddr, insecureFetchCredentials());
  let caCertPem: string;
  try {
    caCertPem = (await fetcher.unary.GetRootCACertificate({}, { timeoutMs })).certPem;
  } catch (err) {
    throw grpcToShoal(err);
  } finally {
    fetcher.close();
  }
  try {
    verifyRootCA(caCertPem, token);
  } catch (err) {
    throw new InvalidArgumentError((err as Error).message, { cause: err });
  }
  const { keyPem, csrPem } = await createKeyAndCSR();
  const ca = createClient(CAService, CAMethods, req.remoteAddr, bootstrapCredentials(caCertPem));
  try {
    const issued = await ca.unary.IssueNodeCertificate(
      {
        token: req.token,
        csrPem,
        hostname: req.hostname,
        advertiseAddr: req.advertiseAddr,
        ...(req.availability ? { availability: req.availability } : {}),
      },
      { timeoutMs },
    );
    return { tls: { caCertPem, certPem: issued.certPem, keyPem }, issued };
  } catch (err) {
    throw grpcToShoal(err);
  } finally {
    ca.close();
  }
}

/** Docker shows remote failures as "rpc error: code = X desc = …". */
function grpcToShoal(err: unknown): ShoalError {
  const e = err as { code?: number; details?: string; message?: string };
  if (typeof e.code !== 'number') return new ShoalError('INTERNAL', String(e.message ?? err));
  const text = rpcText(GRPC_CODE_NAMES[e.code] ?? 'Unknown', dialDetails(e.details ?? e.message ?? ''));
  switch (e.code) {
    case GrpcStatus.INVALID_ARGUMENT:
      return new InvalidArgumentError(text, { cause: err });
    case GrpcStatus.UNAVAILABLE:
    case GrpcStatus.DEADLINE_EXCEEDED:
      return new UnavailableError(text, { cause: err });
    default:
      return new ShoalError('FAILED_PRECONDITION', text, { cause: err });
  }
}

/**
 * grpc-js's text for a manager it could not connect to, in Go gRPC's words (what Docker prints):
 * "No connection established. Last error: Error: connect ECONNREFUSED 10.0.0.1:2377. Resolution note: "
 * → connection error: desc = "transport: Error while dialing: dial tcp 10.0.0.1:2377: connect: connection refused".
 */
export function dialDetails(details: string): string {
  const refused = /connect ECONNREFUSED (\S+?)\.?(?:\s|$)/.exec(details);
  if (refused) return `connection error: desc = "transport: Error while dialing: dial tcp ${refused[1]}: connect: connection refused"`;
  return details.replace(/\s*Resolution note:\s*$/, '');
}
