// A node's certificate over time: renewed at a random point between 50 % and 80 % of its
// validity, as swarmkit does, so it never expires under a running node (`--cert-expiry`, 90 days
// by default), and at once when a root CA rotation asks. The managers' CA answers on the leader;
// the request follows a not-leader redirect.
import { createKeyAndCSR, parseNodeCertificate } from '@shoal/pki';
import { leaderFromError } from '@shoal/manager';
import { CAMethods, CAService, clientCredentials, createClient, type NodeRole, type TlsMaterial } from '@shoal/wire';
import type { Logger } from 'pino';

/** setTimeout's longest delay (2^31 - 1 ms). */
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * swarmkit's calculateRandomExpiry: from now until a random point between 50 % and 80 % of the
 * way from notBefore to notAfter (0 when that point has passed).
 */
export function renewalDelayMs(notBefore: number, notAfter: number, now: number, random: () => number = Math.random): number {
  const validity = notAfter - notBefore;
  return Math.max(0, notBefore + validity * (0.5 + 0.3 * random()) - now);
}

export interface RenewedCertificate {
  certPem: string;
  /** The role the managers' store gives the node (it may differ from the one asked about). */
  role: NodeRole;
  /** The manager that answered. */
  via: string;
}

/** RenewCertificate on the leader, asked through `managers` in order, following a not-leader redirect. */
export async function requestCertificate(tls: TlsMaterial, managers: readonly string[], csrPem: string): Promise<RenewedCertificate> {
  const candidates = [...new Set(managers.filter(Boolean))];
  let lastErr: unknown = new Error('no manager to ask for a certificate');
  for (let i = 0; i < candidates.length && i < 8; i++) {
    const addr = candidates[i] as string;
    const ca = createClient(CAService, CAMethods, addr, clientCredentials(tls));
    try {
      return { ...(await ca.unary.RenewCertificate({ csrPem }, { timeoutMs: 10_000 })), via: addr };
    } catch (err) {
      lastErr = err;
      const leader = leaderFromError(err);
      if (leader && !candidates.includes(leader)) candidates.splice(i + 1, 0, leader);
    } finally {
      ca.close();
    }
  }
  throw lastErr;
}

/** What a renewal needs from the daemon's current membership. */
export interface RenewalHost {
  /** The membership this renewal belongs to is still the daemon's current one. */
  isCurrent(): boolean;
  tls(): TlsMaterial;
  role(): NodeRole;
  /** Managers to ask, the one the agent is connected to first. */
  managers(): string[];
  /** Runs `fn` in the daemon's transition queue (with role changes and leaving). */
  serialised(fn: () => Promise<void>): Promise<void>;
  /** Puts new TLS material in place everywhere, without restarting anything. */
  install(tls: TlsMaterial): void;
  /** The managers want another role than this node has: change to it. */
  roleChange(role: NodeRole, via: string): void;
  logger: Logger;
}

export class CertificateRenewal {
  private timer: NodeJS.Timeout | null = null;
  /** Renewals started; only the latest one's certificate is put in place. */
  private started = 0;
  private stopped = false;

  constructor(private readonly host: RenewalHost) {}

  /** The next renewal in `delayMs`, or at its random point in the current certificate's validity. */
  schedule(delayMs?: number): void {
    if (this.stopped) return;
    if (this.timer) clearTimeout(this.timer);
    const cert = parseNodeCertificate(this.host.tls().certPem);
    const wait = delayMs ?? renewalDelayMs(cert.notBefore.getTime(), cert.notAfter.getTime(), Date.now());
    // Timers hold at most ~24.8 days: a longer wait is re-planned when this one fires.
    const step = Math.min(wait, MAX_TIMER_MS);
    this.timer = setTimeout(() => {
      this.timer = null;
      if (this.stopped || !this.host.isCurrent()) return;
      if (step < wait) return this.schedule(wait - step);
      void this.renew().catch((err: unknown) => {
        if (this.stopped || !this.host.isCurrent()) return;
        const left = parseNodeCertificate(this.host.tls().certPem).notAfter.getTime() - Date.now();
        const retry = Math.max(1_000, Math.min(30_000, left / 10));
        this.host.logger.warn({ err, retryMs: Math.round(retry) }, 'certificate renewal failed; trying again');
        this.schedule(retry);
      });
    }, step);
    this.timer.unref();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  /**
   * A new key and certificate, put in place without restarting anything. The request runs
   * outside the transition queue (it may take a while when no leader answers); only putting the
   * result in place is serialised with role changes and leaving.
   */
  private async renew(): Promise<void> {
    const host = this.host;
    const seq = ++this.started;
    const trusted = host.tls().caCertPem;
    const { keyPem, csrPem } = await createKeyAndCSR();
    const renewed = await requestCertificate(host.tls(), host.managers(), csrPem);
    await host.serialised(async () => {
      if (this.stopped || !host.isCurrent() || seq !== this.started) return; // superseded
      if (host.tls().caCertPem !== trusted) {
        // The root changed meanwhile (a rotation ended): this certificate may be from the old one.
        this.schedule(0);
        return;
      }
      if (renewed.role !== host.role()) {
        // A role change this node missed: act on it (that renews the certificate too); if it
        // fails, the next renewal tries again.
        host.logger.info({ role: renewed.role }, 'certificate renewal found a pending role change');
        host.roleChange(renewed.role, renewed.via);
        this.schedule(60_000);
        return;
      }
      const tls: TlsMaterial = { caCertPem: trusted, certPem: renewed.certPem, keyPem };
      host.install(tls);
      const cert = parseNodeCertificate(tls.certPem);
      host.logger.info({ serial: cert.serial, notAfter: cert.notAfter.toISOString() }, 'node certificate renewed');
      this.schedule();
    });
  }
}
