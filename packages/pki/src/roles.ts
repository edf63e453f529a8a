// Names swarmkit bakes into certificates (SK ca/config.go:37-41); the TLS
// layer verifies peers against these, so they are part of the wire contract.

export type NodeRole = 'manager' | 'worker';

/** Subject CN of the root CA and the server name a joiner verifies while bootstrapping. */
export const CA_COMMON_NAME = 'swarm-ca';
export const MANAGER_ROLE_OU = 'swarm-manager';
export const WORKER_ROLE_OU = 'swarm-worker';

/** Server name to verify when dialling a manager (grpc `ssl_target_name_override`). */
export const MANAGER_SERVER_NAME = MANAGER_ROLE_OU;
/** Server name to verify for the bootstrap `NodeCA.IssueNodeCertificate` call. */
export const CA_SERVER_NAME = CA_COMMON_NAME;

export function roleToOU(role: NodeRole): string {
  return role === 'manager' ? MANAGER_ROLE_OU : WORKER_ROLE_OU;
}

export function ouToRole(ou: string): NodeRole | undefined {
  if (ou === MANAGER_ROLE_OU) return 'manager';
  if (ou === WORKER_ROLE_OU) return 'worker';
  return undefined;
}
