// One class per failure, each with a stable `code`; messages follow swarmkit's wording where it has one.

/** Names each failure after its class, so a subclass states only its code and message. */
abstract class PkiError extends Error {
  abstract readonly code: string;
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
  }
}

export class InvalidJoinTokenError extends PkiError {
  readonly code = 'INVALID_JOIN_TOKEN';
  constructor(options?: ErrorOptions) {
    super('invalid join token', options);
  }
}

export class RemoteCAMismatchError extends PkiError {
  readonly code = 'REMOTE_CA_MISMATCH';
  constructor(
    readonly expectedDigestHex: string,
    readonly actualDigestHex: string,
  ) {
    super(`remote CA does not match fingerprint. Expected: sha256:${expectedDigestHex}`);
  }
}

export class InvalidCSRError extends PkiError {
  readonly code = 'INVALID_CSR';
  constructor(reason: string, options?: ErrorOptions) {
    super(`invalid certificate signing request: ${reason}`, options);
  }
}

export class InvalidCertificateError extends PkiError {
  readonly code = 'INVALID_CERTIFICATE';
  constructor(reason: string, options?: ErrorOptions) {
    super(`invalid node certificate: ${reason}`, options);
  }
}

/** The certificate is not signed by the expected CA (Go: x509.UnknownAuthorityError). */
export class UnknownAuthorityError extends PkiError {
  readonly code = 'UNKNOWN_AUTHORITY';
  constructor(options?: ErrorOptions) {
    super('x509: certificate signed by unknown authority', options);
  }
}

/** Outside its validity window (Go: x509.CertificateInvalidError with reason Expired). */
export class CertificateExpiredError extends PkiError {
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
  }
}

export class CertExpiryTooShortError extends PkiError {
  readonly code = 'CERT_EXPIRY_TOO_SHORT';
  constructor() {
    super('minimum certificate expiry time is: 1h0m0s');
  }
}

export class PermissionDeniedError extends PkiError {
  readonly code = 'PERMISSION_DENIED';
  constructor(message: string) {
    super(`Permission denied: ${message}`);
  }
}

/** swarmkit's refusal of a string that is not an unlock key at all. */
export class InvalidUnlockKeyFormatError extends PkiError {
  readonly code = 'INVALID_UNLOCK_KEY_FORMAT';
  constructor() {
    super('invalid key string');
  }
}

/** Sealed data that this key does not open (another key, or damaged). */
export class WrongUnlockKeyError extends PkiError {
  readonly code = 'WRONG_UNLOCK_KEY';
  constructor(options?: ErrorOptions) {
    super('the unlock key does not open this data', options);
  }
}
