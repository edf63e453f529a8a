// Image references → the few images the process runtime knows how to run
// without a command. Tags and digests are ignored: there is only one build of each.

export type KnownImage = 'whoami' | 'nginx';

export const WHOAMI_IMAGE = 'shoal/whoami';
export const NGINX_IMAGE = 'nginx';

/**
 * The repository path of an image reference, Docker Hub defaults removed:
 * "docker.io/library/nginx:1.25@sha256:…" → "nginx".
 */
export function imageRepository(image: string): string {
  let ref = image.trim().toLowerCase();
  const at = ref.indexOf('@');
  if (at >= 0) ref = ref.slice(0, at);
  const colon = ref.lastIndexOf(':');
  // A colon before the last slash belongs to a registry host:port, not a tag.
  if (colon > ref.lastIndexOf('/')) ref = ref.slice(0, colon);
  const parts = ref.split('/');
  const first = parts[0] ?? '';
  if (parts.length > 1 && (first.includes('.') || first.includes(':') || first === 'localhost')) {
    if (first !== 'docker.io' && first !== 'index.docker.io' && first !== 'registry-1.docker.io') return ref;
    parts.shift();
  }
  if (parts.length === 2 && parts[0] === 'library') parts.shift();
  return parts.join('/');
}

export function knownImage(image: string): KnownImage | null {
  switch (imageRepository(image)) {
    case WHOAMI_IMAGE:
      return 'whoami';
    case NGINX_IMAGE:
      return 'nginx';
    default:
      return null;
  }
}
