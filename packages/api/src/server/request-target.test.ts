import { describe, expect, it } from 'vitest';
import { splitTarget } from './request-target';

const targets = [
  '/',
  '/_ping',
  '/v1.41/services/create',
  '/v1.41/services/web%20app/update?version=12&rollback=previous',
  '/v1.51/tasks?filters=%7B%22service%22%3A%7B%22web%22%3Atrue%7D%7D',
  '/v1.41/nodes?filters={"role":{"manager":true}}',
  '/v1.41/services/a+b?x=a+b&y=%2B&z',
  '/v1.41/./nodes',
  '/v1.41/../nodes',
  '/v1.41/nodes/..',
  '/v1.41/nodes/.',
  '/v1.41/%2e%2E/nodes',
  '//v1.41/nodes',
  '/v1.41//nodes',
  '/v1.41/nodes\\x',
  '/v1.41/nodes#frag',
  '/v1.41/nodes?a=1#frag',
  '/v1.41/nodes?a=é&b=ü',
  '/v1.41/nodés',
  '/v1.41/nodes?a=<b>&c="d"&e=`f`&g=\'h\'',
  '/v1.41/services/x?a=%ZZ&b=%',
  '/v1.41/services/%ZZ',
  '/v1.41/services/.hidden/..x',
  '/v1.41/services?',
  '/v1.41/services?&&a=&=b',
  '/v1.41/services/x{y}|z^',
  'v1.41/no-slash',
  '*',
];

describe('splitTarget', () => {
  it.each(targets)('gives what new URL() gives for %s', (target) => {
    let url: URL;
    try {
      url = new URL(target, 'http://shoal');
    } catch {
      expect(() => splitTarget(target)).toThrow(TypeError); // e.g. `//v1.41/nodes`: a host that is not one
      return;
    }
    const split = splitTarget(target);
    expect(split.pathname).toBe(url.pathname);
    expect([...split.query]).toEqual([...url.searchParams]);
  });
});
