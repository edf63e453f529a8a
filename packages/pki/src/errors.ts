// One class per failure, each with a stable `code`; messages follow swarmkit's wording where it has one.

export class InvalidJoinTokenError extends Error {
  readonly code = 'INVALID_JOIN_TOKEN';
  constructor(options?: ErrorOptions) {
    super('invalid join token', options);
    this.name = 'InvalidJoinTokenError';
  }
}

export class RemoteCAMismatchError extends Error {
  readonly code = 'REMOTE_CA_MISMATCH';
  constructor(
    readonly expectedDigestHex: string,
    readonly actualDigestHex: string,
  ) {
    super(`remote CA does not match fingerprint. Expected: sha256:${expectedDigestHex}`);
    this.name = 'RemoteCAMismatchError';
  }
}

export class InvalidCSRError extends Error {
  readonly code = 'INVALID_CSR';
  constructor(reason: string, options?: ErrorOptions) {
    super(`invalid certificate signing request: ${reason}`, options);
    this.name = 'InvalidCSRError';
  }
}

export class InvalidCertificateError extends Error {
  readonly code = 'INVALID_CERTIFICATE';
  constructor(reason: string, options?: ErrorOptions) {
    super(`invalid node certificate: ${reason}`, options);
    this.name = 'InvalidCertificateError';
  }
}

/** The certificate is not signed by the expected CA (Go: x509.UnknownAuthorityError). */
export class UnknownAuthorityError extends Error {
  readonly code = 'UNKNOWN_AUTHORITY';
  constructor(options?: ErrorOptions) {
    super('x509: certificate signed by unknown authority', options);
    this.name = 'UnknownAuthorityError';
  }
}

/** Outside its validity window (Go: x509.CertificateInvalidError with reason Expired). */
export class CertificateExpiredError extends Error {
  readonly code = 'CERTIFICATE_EXPIRED';
  constructor(
    readonly now: Date,
    readonly notBefore: Date,
    readonly notAfter: Date,
  ) {
    const detail =
      now < notBefore
        ? `current time ${now.toISOString()} is before ${notBefore.toISOString()}`
        : `current time ${now.toISOString()} is after ${notAfter.toISOString()}`;
    super(`x509: certificate has expired or is not yet valid: ${detail}`);
    this.name = 'CertificateExpiredError';
  }
}

export class CertExpiryTooShortError extends Error {
  readonly code = 'CERT_EXPIRY_TOO_SHORT';
  constructor() {
    super('minimum certificate expiry time is: 1h0m0s');
    this.name = 'CertExpiryTooShortError';
  }
}

export class PermissionDeniedError extends Error {
  readonly code = 'PERMISSION_DENIED';
  constructor(message: string) {
    super(`Permission denied: ${message}`);
    this.name = 'PermissionDeniedError';
  }
}

/** swarmkit's refusal of a string that is not an unlock key at all. */
export class InvalidUnlockKeyFormatError extends Error {
  readonly code = 'INVALID_UNLOCK_KEY_FORMAT';
  constructor() {
    super('invalid key string');
    this.name = 'InvalidUnlockKeyFormatError';
  }
}

/** Sealed data that this key does not open (another key, or damaged). */
export class WrongUnlockKeyError extends Error {
  readonly code = 'WRONG_UNLOCK_KEY';
  constructor(options?: ErrorOptions) {
    super('the unlock key does not open this data', options);
    this.name = 'WrongUnlockKeyError';
  }
}
