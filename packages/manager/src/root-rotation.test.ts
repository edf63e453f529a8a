// A root CA rotation on a local store: started by a new ForceRotate (or a given CA), signing with
// the new root meanwhile, and completed by the reconciler once every node reports a certificate
// from the new root.
import { describe, expect, it } from 'vitest';
import { caDigest, crossSignRootCA, generateRootCA, parseJoinToken, tlsInfo } from '@shoal/pki';
import { ClusterStore, MemoryStore, createOp, resultToEvents, updateOp, type Proposer } from '@shoal/store';
import pino from 'pino';
import { signingCA } from './ca-server';
import { ControlApi } from './control-api';
import { DEFAULT_CLUSTER_SPEC } from './manager';
import { makeNode } from './orchestrator/testing';
import type { RaftView } from './raft-view';
import { RootRotationReconciler } from './root-rotation';

async function setup() {
  const memory = new MemoryStore();
  const proposer: Proposer = { propose: async (command) => resultToEvents(memory.apply(memory.appliedIndex + 1, command)) };
  const raft: RaftView = { selfId: 'm', leader: 'm', status: () => ({}) as never, members: () => ({ voters: ['m'], learners: [], addrs: new Map() }) };
  const store = new ClusterStore(memory, proposer);
  const root = await generateRootCA();
  const strip = <T extends { version: number; createdAt: string; updatedAt: string }>({ version: _v, createdAt: _c, updatedAt: _u, ...rest }: T) => rest;
  memory.apply(1, {
    type: 'batch',
    at: new Date().toISOString(),
    ops: [
      createOp('cluster', { id: 'c', spec: DEFAULT_CLUSTER_SPEC, rootCA: root, joinTokens: { worker: 'w', manager: 'm' }, revokedNodes: [] }),
      createOp('node', strip(makeNode('n1'))),
      createOp('node', strip(makeNode('n2', { state: 'down' }))),
    ],
  });
  return { memory, store, api: new ControlApi(store, raft), root };
}

/** The node reports a certificate issued by `issuerPem` (as its agent does at a new session). */
async function report(store: ClusterStore, nodeId: string, trustPem: string, issuerPem: string): Promise<void> {
  const node = store.memory.get('node', nodeId);
  if (!node) throw new Error(nodeId);
  const info = tlsInfo(trustPem, issuerPem);
  const description = { ...node.description, tls: { trustRoot: info.TrustRoot, certIssuerSubject: info.CertIssuerSubject, certIssuerPublicKey: info.CertIssuerPublicKey } };
  await store.commit([updateOp('node', { ...node, description }, node.version)]);
}

const flush = () => new Promise((r) => setImmediate(r));

describe('root CA rotation', () => {
  it('starts on a new ForceRotate, signs with the new root meanwhile, and completes once every node (down ones too) has a new certificate', async () => {
    const { memory, store, api, root } = await setup();
    const reconciler = new RootRotationReconciler({ store, logger: pino({ level: 'silent' }) });
    reconciler.start();
    const c0 = api.cluster();
    await api.updateCluster(c0.version, { ...c0.spec, caForceRotate: 1 });
    const rotation = api.cluster().rootRotation;
    expect(rotation).toBeDefined();
    expect(signingCA(api.cluster())).toEqual({ caCertPem: rotation?.certPem, caKeyPem: rotation?.keyPem, chainPem: rotation?.crossSignedPem });
    // The same spec again changes nothing; the rotation goes on.
    const c1 = api.cluster();
    await api.updateCluster(c1.version, { ...c1.spec });
    expect(api.cluster().rootRotation).toEqual(rotation);

    await report(store, 'n1', root.certPem, rotation?.certPem as string);
    await flush();
    expect(reconciler.pending()).toEqual(['n2']); // down, but not forgotten
    expect(api.cluster().rootCA.certPem).toBe(root.certPem);
    await report(store, 'n2', root.certPem, rotation?.certPem as string);
    await flush();
    await flush();
    const done = api.cluster();
    expect(done.rootRotation).toBeUndefined();
    expect(done.rootCA.certPem).toBe(rotation?.certPem);
    expect(parseJoinToken(done.joinTokens.worker).rootDigestHex).toBe(caDigest(rotation?.certPem as string));
    // Issued later, a certificate still carries the cross-signed root, for nodes that trust the old root a moment longer.
    expect(signingCA(done)).toEqual({ caCertPem: rotation?.certPem, caKeyPem: rotation?.keyPem, chainPem: rotation?.crossSignedPem });
    reconciler.stop();
    expect(memory.list('cluster')).toHaveLength(1);
  });

  it('rotates to a given CA, refuses one whose key does not match, and cancels by going back to the current root', async () => {
    const { api, root } = await setup();
    const mine = await generateRootCA();
    const other = await generateRootCA();
    const c0 = api.cluster();
    await expect(api.updateCluster(c0.version, c0.spec, { signingCA: { certPem: mine.certPem, keyPem: other.keyPem } })).rejects.toThrow('certificate key mismatch');
    expect(api.cluster().rootRotation).toBeUndefined();
    await api.updateCluster(c0.version, c0.spec, { signingCA: mine });
    expect(api.cluster().rootRotation?.certPem).toBe(mine.certPem);
    const c1 = api.cluster();
    await api.updateCluster(c1.version, c1.spec, { signingCA: root });
    expect(api.cluster().rootRotation).toBeUndefined();
  });

  it('refuses what swarmkit refuses, before comparing with the current root: a key that does not match, a CA expiring within a year, a new certificate on the current key', async () => {
    const { api, root } = await setup();
    const other = await generateRootCA();
    const c0 = api.cluster();
    // The current root's certificate with another key: a mismatch, not "no change".
    await expect(api.updateCluster(c0.version, c0.spec, { signingCA: { certPem: root.certPem, keyPem: other.keyPem } })).rejects.toThrow('certificate key mismatch');
    const soon = await generateRootCA({ validityMs: 10 * 24 * 3600 * 1000 });
    await expect(api.updateCluster(c0.version, c0.spec, { signingCA: soon })).rejects.toThrow(
      'rpc error: code = InvalidArgument desc = CA certificate expires too soon',
    );
    // A certificate for the current root's key (here: issued by another CA): every node would
    // look rotated at once, and the swarm would switch its trust before any node could follow.
    const sameKey = { certPem: await crossSignRootCA(root, other), keyPem: root.keyPem };
    await expect(api.updateCluster(c0.version, c0.spec, { signingCA: sameKey })).rejects.toThrow(
      'rpc error: code = InvalidArgument desc = Cannot update to a cert with an identical key',
    );
    expect(api.cluster().rootRotation).toBeUndefined();
    expect(api.cluster().version).toBe(c0.version);
  });

  it('compares certificates, not PEM text: the current root with CRLF line endings and text around it cancels; a bundle is refused', async () => {
    const { api, root } = await setup();
    const mine = await generateRootCA();
    const c0 = api.cluster();
    await api.updateCluster(c0.version, c0.spec, { signingCA: mine });
    expect(api.cluster().rootRotation?.certPem).toBe(mine.certPem);
    const c1 = api.cluster();
    // The rotation's own CA in another layout goes on with the same rotation.
    await api.updateCluster(c1.version, c1.spec, { signingCA: { certPem: `Bag Attributes\n${mine.certPem.replace(/\n/g, '\r\n')}`, keyPem: mine.keyPem } });
    expect(api.cluster().rootRotation).toEqual(c1.rootRotation);
    const c2 = api.cluster();
    const bundle = await expect(api.updateCluster(c2.version, c2.spec, { signingCA: { certPem: `${mine.certPem}${root.certPem}`, keyPem: mine.keyPem } })).rejects;
    await bundle.toThrow('rpc error: code = InvalidArgument desc = the desired CA certificate cannot contain multiple certificates');
    await api.updateCluster(c2.version, c2.spec, { signingCA: { certPem: root.certPem.replace(/\n/g, '\r\n'), keyPem: root.keyPem } });
    expect(api.cluster().rootRotation).toBeUndefined();
  });
});
