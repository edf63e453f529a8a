export { base36ToBytes, bytesToBase36 } from './base36';
export { createKeyAndCSR, parseAndVerifyCSR, type KeyAndCSR } from './csr';
export {
  CertExpiryTooShortError,
  CertificateExpiredError,
  InvalidCertificateError,
  InvalidCSRError,
  InvalidJoinTokenError,
  InvalidUnlockKeyFormatError,
  WrongUnlockKeyError,
  PermissionDeniedError,
  RemoteCAMismatchError,
  UnknownAuthorityError,
} from './errors';
export { generateClusterId, generateNodeId } from './identity';
export {
  createNodeCertificate,
  issueNodeCertificate,
  type IssueNodeCertificateOptions,
  type NodeCertificateOptions,
} from './issue';
export {
  caDigest,
  generateJoinToken,
  parseJoinToken,
  tokenSecretEquals,
  verifyRootCA,
  type ParsedJoinToken,
} from './join-token';
export {
  authorize,
  parseNodeCertificate,
  verifyCertificateChain,
  type AuthorizeOptions,
  type CertificateInput,
  type NodeIdentity,
  type VerifyOptions,
} from './node-certificate';
export type { RandomBytes } from './random';
export { certificatePems, crossSignRootCA, firstCertificatePem, generateRootCA, signingCAProblem, type CertificateAndKey, type RootCAOptions } from './root-ca';
export {
  CA_COMMON_NAME,
  CA_SERVER_NAME,
  MANAGER_ROLE_OU,
  MANAGER_SERVER_NAME,
  WORKER_ROLE_OU,
  type NodeRole,
} from './roles';
export { DEFAULT_NODE_CERT_VALIDITY_HOURS, MIN_NODE_CERT_VALIDITY_HOURS, ROOT_CA_VALIDITY_MS } from './validity';
export { nodeTlsInfo, tlsInfo, type CATLSInfo } from './tls-info';
export { generateUnlockKey, parseUnlockKey, sealWithUnlockKey, openWithUnlockKey } from './unlock-key';
