// A root CA rotation as the nodes live it: certificates signed by the new key carry the
// cross-signed CA, so real TLS handshakes succeed whether the verifying side trusts the old root
// (during the rotation) or only the new one (after it); the old root's certificates do not pass
// once only the new root is trusted.
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import * as tls from 'node:tls';
import { beforeAll, describe, expect, it } from 'vitest';
import { createNodeCertificate } from './issue';
import { parseNodeCertificate } from './node-certificate';
import { certificatePems, crossSignRootCA, generateRootCA, signingCAProblem, type CertificateAndKey } from './root-ca';
import { nodeTlsInfo, tlsInfo } from './tls-info';

let oldRoot: CertificateAndKey;
let newRoot: CertificateAndKey;
let crossSigned: string;

/** Whether a mutual-TLS handshake succeeds: `client` presents its certificate to a server trusting `serverTrusts`, and verifies the server against `clientTrusts`. */
async function handshake(server: CertificateAndKey, serverTrusts: string[], client: CertificateAndKey, clientTrusts: string[]): Promise<{ serverOk: boolean; clientOk: boolean }> {
  const srv = tls.createServer({ key: server.keyPem, cert: server.certPem, ca: serverTrusts, requestCert: true, rejectUnauthorized: false });
  const serverSide = new Promise<boolean>((resolve) => srv.once('secureConnection', (s: tls.TLSSocket) => (resolve(s.authorized), s.end())));
  srv.listen(0, '127.0.0.1');
  await once(srv, 'listening');
  const { port } = srv.address() as AddressInfo;
  const socket = tls.connect({ host: '127.0.0.1', port, key: client.keyPem, cert: client.certPem, ca: clientTrusts, rejectUnauthorized: false, checkServerIdentity: () => undefined });
  await once(socket, 'secureConnect');
  const clientOk = socket.authorized;
  const serverOk = await serverSide;
  socket.destroy();
  srv.close();
  return { serverOk, clientOk };
}

const node = (ca: CertificateAndKey, nodeId: string, chainPem?: string) =>
  createNodeCertificate({ caCertPem: ca.certPem, caKeyPem: ca.keyPem, nodeId, role: 'manager', clusterId: 'cluster', ...(chainPem ? { chainPem } : {}) });

describe('root CA rotation', () => {
  beforeAll(async () => {
    oldRoot = await generateRootCA();
    newRoot = await generateRootCA();
    crossSigned = await crossSignRootCA(newRoot, oldRoot);
  });

  it('makes node certificates that both the old and the new root accept', async () => {
    const rotated = await node(newRoot, 'a', crossSigned);
    expect(certificatePems(rotated.certPem)).toHaveLength(2);
    expect(parseNodeCertificate(rotated.certPem).nodeId).toBe('a');
    const old = await node(oldRoot, 'b');
    // During the rotation everyone trusts the old root: old and rotated certificates meet.
    expect(await handshake(old, [oldRoot.certPem], rotated, [oldRoot.certPem])).toEqual({ serverOk: true, clientOk: true });
    // After it, only the new root: rotated certificates pass, the old one no longer does.
    const rotated2 = await node(newRoot, 'c', crossSigned);
    expect(await handshake(rotated2, [newRoot.certPem], rotated, [newRoot.certPem])).toEqual({ serverOk: true, clientOk: true });
    expect(await handshake(rotated2, [newRoot.certPem], old, [newRoot.certPem])).toEqual({ serverOk: false, clientOk: true });
    // A node that already trusts the new root still accepts a rotated peer that trusts the old one.
    expect(await handshake(rotated2, [oldRoot.certPem], rotated, [newRoot.certPem])).toEqual({ serverOk: true, clientOk: true });
  });

  it('reports a rotated node as issued by the new root while it still trusts the old one', async () => {
    const rotated = await node(newRoot, 'a', crossSigned);
    const info = nodeTlsInfo({ caCertPem: oldRoot.certPem, certPem: rotated.certPem });
    expect(info.TrustRoot).toBe(oldRoot.certPem);
    expect(info.CertIssuerPublicKey).toBe(tlsInfo(newRoot.certPem).CertIssuerPublicKey);
    expect(nodeTlsInfo({ caCertPem: oldRoot.certPem, certPem: (await node(oldRoot, 'b')).certPem })).toEqual(tlsInfo(oldRoot.certPem));
    // The issuer is found by key, not by position or subject (both roots are CN=swarm-ca).
    expect(nodeTlsInfo({ caCertPem: newRoot.certPem, certPem: rotated.certPem }).CertIssuerPublicKey).toBe(tlsInfo(newRoot.certPem).CertIssuerPublicKey);
  });

  it('checks a CA certificate and key given for a rotation', async () => {
    expect(await signingCAProblem(newRoot)).toBeNull();
    expect(await signingCAProblem({ certPem: newRoot.certPem, keyPem: oldRoot.keyPem })).toBe('certificate key mismatch');
    expect(await signingCAProblem({ certPem: 'nonsense', keyPem: newRoot.keyPem })).toMatch(/^Invalid CA certificate/);
    const leaf = await node(newRoot, 'x');
    expect(await signingCAProblem(leaf)).toBe('Invalid CA certificate: it is not a CA certificate');
  });
});
