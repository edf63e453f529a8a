// Test PKI: a cluster CA with node certificates from @shoal/pki, and a rogue CA with its own.
import { createNodeCertificate, generateRootCA } from '@shoal/pki';
import type { TunnelTlsOptions } from '../tunnel/tls';

export interface TestNode {
  readonly nodeId: string;
  readonly tls: TunnelTlsOptions;
}

export interface TestPki {
  readonly caPem: string;
  node(nodeId: string): Promise<TestNode>;
  /** A node certificate from another CA, trusting only that CA. */
  rogue(nodeId: string): Promise<TestNode>;
}

export async function makeTestPki(clusterId = 'cluster-test'): Promise<TestPki> {
  const ca = await generateRootCA();
  const issue = async (caCertPem: string, caKeyPem: string, nodeId: string): Promise<TestNode> => {
    const c = await createNodeCertificate({ caCertPem, caKeyPem, nodeId, role: 'worker', clusterId });
    return { nodeId, tls: { ca: caCertPem, cert: c.certPem, key: c.keyPem } };
  };
  return {
    caPem: ca.certPem,
    node: (nodeId) => issue(ca.certPem, ca.keyPem, nodeId),
    rogue: async (nodeId) => {
      const other = await generateRootCA();
      return issue(other.certPem, other.keyPem, nodeId);
    },
  };
}
