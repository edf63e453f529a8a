// API version negotiation, as the docker CLI does it (client/client.go).

/** Highest API version this client speaks (docker CLI 28.3+). */
export const DEFAULT_API_VERSION = '1.51';
/** Used when the daemon's /_ping carries no Api-Version header. */
export const FALLBACK_API_VERSION = '1.24';

/** Compares dotted versions numerically: `1.9 < 1.24`. */
export function compareApiVersions(a: string, b: string): number {
  const pa = a.split('.').map(Number);
  const pb = b.split('.').map(Number);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d < 0 ? -1 : 1;
  }
  return 0;
}

/** min(client default, server max); a missing header means the oldest swarm-capable API. */
export function negotiateApiVersion(serverVersion: string | undefined, clientMax = DEFAULT_API_VERSION): string {
  const server = serverVersion === undefined || serverVersion === '' ? FALLBACK_API_VERSION : serverVersion;
  return compareApiVersions(server, clientMax) < 0 ? server : clientMax;
}
