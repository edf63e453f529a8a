// Mutual TLS on 4789 against the cluster CA: both sides present a node certificate and accept
// only certificates that chain to the CA given (never the system roots).
import type { ConnectionOptions, PeerCertificate, TlsOptions } from 'node:tls';
import { TunnelPeerIdentityError } from '../errors';

/** PEM material: the cluster root CA, this node's certificate and key. */
export interface TunnelTlsOptions {
  readonly ca: string | Buffer | ReadonlyArray<string | Buffer>;
  readonly cert: string | Buffer;
  readonly key: string | Buffer;
}

/** Who is on the other end, from the subject of its (CA-verified) certificate. */
export interface PeerIdentity {
  /** Subject CN. */
  readonly nodeId: string;
  /** Subject OU (swarm-manager / swarm-worker). */
  readonly role: string;
  /** Subject O. */
  readonly clusterId: string;
}

type Ca = string | Buffer | Array<string | Buffer>;

export function tunnelServerTls(t: TunnelTlsOptions): TlsOptions {
  return { ca: t.ca as Ca, cert: t.cert, key: t.key, requestCert: true, rejectUnauthorized: true, minVersion: 'TLSv1.2' };
}

/**
 * Node certificates name a node id, not an IP: the chain to the CA is the check, plus, when the
 * caller knows which node it meant to reach, the subject CN.
 */
export function tunnelClientTls(t: TunnelTlsOptions, expectedNodeId: string | undefined): ConnectionOptions {
  return {
    ca: t.ca as Ca,
    cert: t.cert,
    key: t.key,
    rejectUnauthorized: true,
    minVersion: 'TLSv1.2',
    checkServerIdentity: (_host, cert) => {
      if (expectedNodeId === undefined) return undefined;
      const actual = peerIdentity(cert).nodeId;
      return actual === expectedNodeId ? undefined : new TunnelPeerIdentityError(expectedNodeId, actual);
    },
  };
}

export function peerIdentity(cert: PeerCertificate): PeerIdentity {
  const subject = (cert.subject ?? {}) as unknown as Record<string, string | string[] | undefined>;
  const field = (name: string): string => {
    const v = subject[name];
    return Array.isArray(v) ? (v[0] ?? '') : (v ?? '');
  };
  return { nodeId: field('CN'), role: field('OU'), clusterId: field('O') };
}
