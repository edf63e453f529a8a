// TLS credentials for 2377. Every call is mutual TLS except the join bootstrap,
// which fetches the root CA unverified (the join token pins its digest) and then
// requests a certificate verifying the manager against that CA.
import * as grpc from '@grpc/grpc-js';

/** Every manager certificate carries this DNS name; clients verify it. */
export const MANAGER_SERVER_NAME = 'swarm-manager';

export interface TlsMaterial {
  caCertPem: string;
  certPem: string;
  keyPem: string;
}

export function clientCredentials(material: TlsMaterial): grpc.ChannelCredentials {
  return grpc.credentials.createSsl(
    Buffer.from(material.caCertPem),
    Buffer.from(material.keyPem),
    Buffer.from(material.certPem),
  );
}

/** Verifies the manager against `caCertPem`; presents no client certificate. */
export function bootstrapCredentials(caCertPem: string): grpc.ChannelCredentials {
  return grpc.credentials.createSsl(Buffer.from(caCertPem));
}

/** Trusts nothing and verifies nothing: only for fetching a root CA whose digest is pinned. */
export function insecureFetchCredentials(): grpc.ChannelCredentials {
  return grpc.credentials.createSsl(null, null, null, {
    rejectUnauthorized: false,
    checkServerIdentity: () => undefined,
  });
}

export const CHANNEL_OPTIONS: grpc.ChannelOptions = {
  'grpc.ssl_target_name_override': MANAGER_SERVER_NAME,
  'grpc.default_authority': MANAGER_SERVER_NAME,
  'grpc.keepalive_time_ms': 10_000,
  'grpc.keepalive_timeout_ms': 5_000,
  'grpc.keepalive_permit_without_calls': 1,
  'grpc.initial_reconnect_backoff_ms': 100,
  'grpc.max_reconnect_backoff_ms': 2_000,
};

/** The verified peer certificate (DER) of a server call, or undefined when none was presented. */
export function peerCertificate(call: { getAuthContext(): { sslPeerCertificate?: { raw?: Buffer } } }): Buffer | undefined {
  return call.getAuthContext().sslPeerCertificate?.raw;
}
