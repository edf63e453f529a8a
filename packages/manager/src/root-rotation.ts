// Root CA rotation, the leader's part (swarmkit's CA reconciler). While a rotation is in
// progress the CA signs with the new root (see signingCA) and every node is asked to renew;
// once every node reports a certificate issued by the new root, the new root becomes the
// cluster's: nodes are told to trust it (the dispatcher) and the join tokens change, since their
// digest names the root. As in Docker, a node that is down holds the rotation until it comes
// back or is removed (`node rm`): finishing without it would leave it unable to talk to anyone.
import { generateJoinToken, tlsInfo } from '@shoal/pki';
import { updateOp, type ClusterObject, type ClusterStore, type NodeDescription } from '@shoal/store';
import type { Logger } from 'pino';

const issuers = new Map<string, { subject: string; key: string }>();

/** Base64 subject and public key of the CA whose PEM this is (cached: the same few roots are asked about often). */
function issuer(caCertPem: string): { subject: string; key: string } {
  let found = issuers.get(caCertPem);
  if (found === undefined) {
    const info = tlsInfo(caCertPem);
    found = { subject: info.CertIssuerSubject, key: info.CertIssuerPublicKey };
    if (issuers.size > 16) issuers.clear();
    issuers.set(caCertPem, found);
  }
  return found;
}

/**
 * A rotation is in progress and this node's certificate is not from the new root yet: its
 * issuer's subject and key must both be the new root's (as the docker CLI counts a node done).
 */
export function needsRotatedCertificate(cluster: ClusterObject, description: NodeDescription | undefined): boolean {
  const rotation = cluster.rootRotation;
  if (!rotation) return false;
  const root = issuer(rotation.certPem);
  return description?.tls?.certIssuerPublicKey !== root.key || description.tls.certIssuerSubject !== root.subject;
}

export interface RootRotationOptions {
  store: ClusterStore;
  logger: Logger;
}

export class RootRotationReconciler {
  private unwatch: (() => void) | null = null;
  private committing = false;
  private again = false;

  constructor(private readonly o: RootRotationOptions) {}

  start(): void {
    if (this.unwatch) return;
    this.unwatch = this.o.store.memory.watch((events) => {
      if (events.some((ev) => ev.kind === 'node' || ev.kind === 'cluster')) this.check();
    });
    this.check();
  }

  stop(): void {
    this.unwatch?.();
    this.unwatch = null;
  }

  /** Nodes whose certificate is not from the new root yet; empty when no rotation runs. */
  pending(): string[] {
    const cluster = this.o.store.memory.list('cluster')[0];
    if (!cluster?.rootRotation) return [];
    return this.o.store.memory
      .list('node')
      .filter((n) => needsRotatedCertificate(cluster, n.description))
      .map((n) => n.id);
  }

  private check(): void {
    if (!this.unwatch) return;
    if (this.committing) {
      this.again = true;
      return;
    }
    const cluster = this.o.store.memory.list('cluster')[0];
    const rotation = cluster?.rootRotation;
    if (!cluster || !rotation || this.pending().length > 0) return;
    this.committing = true;
    const { rootRotation: _done, ...rest } = cluster;
    const next: ClusterObject = {
      ...rest,
      rootCA: { certPem: rotation.certPem, keyPem: rotation.keyPem, chainPem: rotation.crossSignedPem },
      joinTokens: { worker: generateJoinToken(rotation.certPem), manager: generateJoinToken(rotation.certPem) },
    };
    this.o.store
      .commit([updateOp('cluster', next, cluster.version)])
      .then(
        () => this.o.logger.info('root CA rotation completed: every node has a certificate from the new root'),
        (err: unknown) => {
          // A concurrent cluster write (e.g. swarm update): look again.
          if ((err as { code?: string }).code === 'OUT_OF_SEQUENCE') this.again = true;
          else this.o.logger.error({ err }, 'could not complete the root CA rotation');
        },
      )
      .finally(() => {
        this.committing = false;
        if (this.again) {
          this.again = false;
          this.check();
        }
      });
  }
}
