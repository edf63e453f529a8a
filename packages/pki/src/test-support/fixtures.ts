// A CA with one manager and one worker certificate, for tests.
import { createKeyAndCSR } from '../csr';
import { generateClusterId, generateNodeId } from '../identity';
import { createNodeCertificate, issueNodeCertificate } from '../issue';
import { generateRootCA, type CertificateAndKey } from '../root-ca';

export interface TestCluster {
  clusterId: string;
  ca: CertificateAndKey;
  manager: CertificateAndKey & { nodeId: string };
  worker: CertificateAndKey & { nodeId: string };
}

export async function makeTestCluster(): Promise<TestCluster> {
  const clusterId = generateClusterId();
  const ca = await generateRootCA();
  const base = { caCertPem: ca.certPem, caKeyPem: ca.keyPem, clusterId };

  const managerId = generateNodeId();
  const manager = await createNodeCertificate({ ...base, nodeId: managerId, role: 'manager' });

  const workerId = generateNodeId();
  const { keyPem, csrPem } = await createKeyAndCSR();
  const workerCert = await issueNodeCertificate({ ...base, csrPem, nodeId: workerId, role: 'worker' });

  return {
    clusterId,
    ca,
    manager: { ...manager, nodeId: managerId },
    worker: { certPem: workerCert, keyPem, nodeId: workerId },
  };
}
