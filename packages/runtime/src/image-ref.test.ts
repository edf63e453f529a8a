import { describe, expect, it } from 'vitest';
import { imageRepository, knownImage } from './image-ref';

describe('imageRepository', () => {
  it.each([
    ['nginx', 'nginx'],
    ['nginx:1.27-alpine', 'nginx'],
    ['library/nginx:latest', 'nginx'],
    ['docker.io/library/nginx@sha256:abc', 'nginx'],
    ['docker.io/shoal/whoami:v1@sha256:abc', 'shoal/whoami'],
    ['Shoal/Whoami', 'shoal/whoami'],
    ['localhost:5000/nginx:1', 'localhost:5000/nginx'],
    ['ghcr.io/shoal/whoami', 'ghcr.io/shoal/whoami'],
    ['traefik/whoami', 'traefik/whoami'],
  ])('%s → %s', (ref, repo) => {
    expect(imageRepository(ref)).toBe(repo);
  });

  it('knows whoami and nginx by repository, whatever the tag', () => {
    expect(knownImage('shoal/whoami:latest')).toBe('whoami');
    expect(knownImage('nginx:alpine')).toBe('nginx');
    expect(knownImage('busybox')).toBeNull();
    expect(knownImage('registry.example.com/nginx')).toBeNull();
  });
});
