// Shapes shared by several Engine API objects (swagger v1.51).

/** Optimistic-concurrency version of a cluster object; writes pass it back as `?version=`. */
export interface ObjectVersion {
  Index: number;
}

/** Free-form key/value labels. */
export type Labels = Record<string, string>;

/** Integer nanoseconds, as every duration in the Engine API. */
export type DurationNs = number;

/** RFC 3339 timestamp with nanoseconds, e.g. `2016-08-18T10:44:24.496525531Z`. */
export type Timestamp = string;

/** Body of every non-2xx response. */
export interface ErrorResponse {
  message: string;
}

/** Response of create endpoints that return `{ "Id": … }`. */
export interface IdResponse {
  Id: string;
}

/** Name plus options, used for log drivers, IPAM and network drivers. */
export interface Driver {
  Name: string;
  Options?: Record<string, string>;
}

/** Filters as the `filters` query parameter carries them: `{"role":{"manager":true}}`. */
export type FilterMap = Record<string, Record<string, boolean>>;

export interface Platform {
  Architecture?: string;
  OS?: string;
}

/** Certificate information of a node or of the cluster's root CA. */
export interface TLSInfo {
  /** PEM of the root CA certificate. */
  TrustRoot?: string;
  /** Base64 DER of the issuer's subject. */
  CertIssuerSubject?: string;
  /** Base64 DER of the issuer's public key. */
  CertIssuerPublicKey?: string;
}
