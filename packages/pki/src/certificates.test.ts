import { createPrivateKey, X509Certificate } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { createKeyAndCSR } from './csr';
import {
  CertExpiryTooShortError,
  CertificateExpiredError,
  InvalidCertificateError,
  InvalidCSRError,
  PermissionDeniedError,
  UnknownAuthorityError,
} from './errors';
import { issueNodeCertificate } from './issue';
import { authorize, parseNodeCertificate, verifyCertificateChain } from './node-certificate';
import { generateRootCA, type CertificateAndKey } from './root-ca';
import { makeTestCluster, type TestCluster } from './test-support/fixtures';

const HOUR = 3_600_000;
const NOW = new Date('2030-01-02T03:04:05.000Z');

let cluster: TestCluster;
let foreignCA: CertificateAndKey;
beforeAll(async () => {
  [cluster, foreignCA] = await Promise.all([makeTestCluster(), generateRootCA()]);
});

describe('generateRootCA', () => {
  it('is a P-256 CA named swarm-ca, valid 20 years from 1 h ago', async () => {
    const ca = await generateRootCA({ now: NOW });
    const cert = new X509Certificate(ca.certPem);
    expect(cert.subject).toBe('CN=swarm-ca');
    expect(cert.issuer).toBe('CN=swarm-ca');
    expect(cert.ca).toBe(true);
    expect(new Date(cert.validFrom).getTime()).toBe(NOW.getTime() - HOUR);
    expect(new Date(cert.validTo).getTime()).toBe(NOW.getTime() + 630_720_000_000);
    expect(cert.publicKey.asymmetricKeyDetails?.namedCurve).toBe('prime256v1');
    expect(cert.verify(cert.publicKey)).toBe(true);
    expect(ca.keyPem).toMatch(/^-----BEGIN PRIVATE KEY-----\n/);
    expect(cert.checkPrivateKey(createPrivateKey(ca.keyPem))).toBe(true);
  });
});

describe('issueNodeCertificate', () => {
  async function issue(role: 'manager' | 'worker', extra: { validityHours?: number; now?: Date } = {}) {
    const { keyPem, csrPem } = await createKeyAndCSR();
    const certPem = await issueNodeCertificate({
      caCertPem: cluster.ca.certPem,
      caKeyPem: cluster.ca.keyPem,
      csrPem,
      nodeId: 'node1',
      role,
      clusterId: cluster.clusterId,
      now: NOW,
      ...extra,
    });
    return { keyPem, certPem, cert: new X509Certificate(certPem) };
  }

  it('writes the identity into the subject and SANs of a manager', async () => {
    const { cert, keyPem } = await issue('manager');
    expect(cert.subject.split('\n')).toEqual([`O=${cluster.clusterId}`, 'OU=swarm-manager', 'CN=node1']);
    expect(cert.subjectAltName).toBe('DNS:swarm-manager, DNS:node1, DNS:swarm-ca');
    expect(cert.keyUsage).toEqual(['1.3.6.1.5.5.7.3.1', '1.3.6.1.5.5.7.3.2']);
    expect(cert.ca).toBe(false);
    expect(cert.checkPrivateKey(createPrivateKey(keyPem))).toBe(true);
  });

  it('gives a worker no swarm-ca SAN', async () => {
    const { cert } = await issue('worker');
    expect(cert.subject).toContain('OU=swarm-worker');
    expect(cert.subjectAltName).toBe('DNS:swarm-worker, DNS:node1');
  });

  it('backdates 1 h and lasts 2160 h by default', async () => {
    const { cert } = await issue('worker');
    expect(new Date(cert.validFrom).getTime()).toBe(NOW.getTime() - HOUR);
    expect(new Date(cert.validTo).getTime()).toBe(NOW.getTime() + 2160 * HOUR);
    const short = await issue('worker', { validityHours: 1 });
    expect(new Date(short.cert.validTo).getTime()).toBe(NOW.getTime() + HOUR);
  });

  it('never outlives the CA', async () => {
    const { cert } = await issue('worker', { validityHours: 30 * 365 * 24 });
    expect(cert.validTo).toBe(new X509Certificate(cluster.ca.certPem).validTo);
  });

  it('rejects a validity under 1 h', async () => {
    await expect(issue('worker', { validityHours: 0.5 })).rejects.toThrow(CertExpiryTooShortError);
    await expect(issue('worker', { validityHours: 0.5 })).rejects.toThrow('minimum certificate expiry time is: 1h0m0s');
  });

  it('takes any validity in milliseconds (renewal tests), backdated by no more than that', async () => {
    const { cert } = await issue('worker', { validityMs: 8_000 });
    expect(new Date(cert.validFrom).getTime()).toBe(NOW.getTime() - 8_000);
    expect(new Date(cert.validTo).getTime()).toBe(NOW.getTime() + 8_000);
    await expect(issue('worker', { validityMs: 0 })).rejects.toThrow(CertExpiryTooShortError);
  });

  it('is signed by the CA and chains only to it', async () => {
    const { certPem, cert } = await issue('manager');
    expect(cert.checkIssued(new X509Certificate(cluster.ca.certPem))).toBe(true);
    await expect(verifyCertificateChain(certPem, cluster.ca.certPem, { now: NOW })).resolves.toBeUndefined();
    await expect(verifyCertificateChain(certPem, foreignCA.certPem, { now: NOW })).rejects.toThrow(UnknownAuthorityError);
  });

  it('rejects a CSR whose signature does not match', async () => {
    const { csrPem } = await createKeyAndCSR();
    const der = Buffer.from(csrPem.replace(/-----[A-Z ]+-----|\s/g, ''), 'base64');
    der[der.length - 5] = (der[der.length - 5] ?? 0) ^ 0x01; // inside the signature
    const base = { caCertPem: cluster.ca.certPem, caKeyPem: cluster.ca.keyPem, nodeId: 'n', role: 'worker' as const };
    await expect(issueNodeCertificate({ ...base, clusterId: 'c', csrPem: der })).rejects.toThrow(InvalidCSRError);
    await expect(issueNodeCertificate({ ...base, clusterId: 'c', csrPem: der })).rejects.toThrow(
      'invalid certificate signing request: signature does not match its public key',
    );
    await expect(issueNodeCertificate({ ...base, clusterId: 'c', csrPem: 'not a csr' })).rejects.toThrow(
      /invalid certificate signing request/,
    );
  });

  it('accepts a SEC1 ("EC PRIVATE KEY") CA key', async () => {
    const sec1 = createPrivateKey(cluster.ca.keyPem).export({ type: 'sec1', format: 'pem' }).toString();
    const { csrPem } = await createKeyAndCSR();
    const certPem = await issueNodeCertificate({
      caCertPem: cluster.ca.certPem,
      caKeyPem: sec1,
      csrPem,
      nodeId: 'n',
      role: 'worker',
      clusterId: 'c',
    });
    await expect(verifyCertificateChain(certPem, cluster.ca.certPem)).resolves.toBeUndefined();
  });
});

describe('verifyCertificateChain', () => {
  it('checks the validity window', async () => {
    const { certPem } = cluster.worker;
    const { notBefore, notAfter } = parseNodeCertificate(certPem);
    await expect(verifyCertificateChain(certPem, cluster.ca.certPem, { now: new Date(notAfter.getTime() + 1000) })).rejects.toThrow(
      CertificateExpiredError,
    );
    await expect(verifyCertificateChain(certPem, cluster.ca.certPem, { now: new Date(notBefore.getTime() - 1000) })).rejects.toThrow(
      /x509: certificate has expired or is not yet valid/,
    );
  });

  it('accepts DER input', async () => {
    const der = new X509Certificate(cluster.manager.certPem).raw;
    await expect(verifyCertificateChain(der, cluster.ca.certPem)).resolves.toBeUndefined();
  });
});

describe('parseNodeCertificate', () => {
  it('reads the identity from PEM', () => {
    const id = parseNodeCertificate(cluster.manager.certPem);
    expect(id).toMatchObject({ nodeId: cluster.manager.nodeId, role: 'manager', clusterId: cluster.clusterId });
    expect(id.serial).toMatch(/^[0-9a-f]{32}$/);
    expect(id.notAfter.getTime()).toBeGreaterThan(id.notBefore.getTime());
  });

  it('reads DER from a Buffer that is a view into a larger one', () => {
    const der = new X509Certificate(cluster.worker.certPem).raw;
    const padded = Buffer.concat([Buffer.from('junk'), der, Buffer.from('junk')]);
    const view = padded.subarray(4, 4 + der.length);
    expect(parseNodeCertificate(view)).toMatchObject({ nodeId: cluster.worker.nodeId, role: 'worker' });
  });

  it('rejects certificates that are not node certificates', () => {
    expect(() => parseNodeCertificate(cluster.ca.certPem)).toThrow(InvalidCertificateError);
    expect(() => parseNodeCertificate('garbage')).toThrow(InvalidCertificateError);
  });
});

describe('authorize', () => {
  it('lets allowed OUs through and returns the node ID', () => {
    const manager = parseNodeCertificate(cluster.manager.certPem);
    expect(authorize(manager, ['manager'])).toBe(cluster.manager.nodeId);
    expect(authorize(manager, ['worker', 'manager'], { clusterId: cluster.clusterId })).toBe(cluster.manager.nodeId);
  });

  it('denies other OUs, other clusters and removed nodes', () => {
    const worker = parseNodeCertificate(cluster.worker.certPem);
    expect(() => authorize(worker, ['manager'])).toThrow(PermissionDeniedError);
    expect(() => authorize(worker, ['manager'])).toThrow(
      'Permission denied: remote certificate not part of OUs: [swarm-manager]',
    );
    expect(() => authorize(worker, ['worker'], { clusterId: 'other' })).toThrow(
      'Permission denied: remote certificate not part of organization: other',
    );
    expect(() => authorize(worker, ['worker'], { removedNodeIds: new Set([worker.nodeId]) })).toThrow(
      `Permission denied: node ${worker.nodeId} was removed from swarm`,
    );
  });
});
