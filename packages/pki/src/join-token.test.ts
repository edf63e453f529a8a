import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { bytesToBase36 } from './base36';
import { InvalidJoinTokenError, RemoteCAMismatchError } from './errors';
import { caDigest, generateJoinToken, parseJoinToken, tokenSecretEquals, verifyRootCA } from './join-token';

const PEM = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';
const zeros = (size: number) => new Uint8Array(size);

/** A string whose SHA-256 starts with a zero byte, to exercise digest padding. */
function pemWithLeadingZeroDigest(): string {
  for (let i = 0; ; i++) {
    const candidate = `${PEM}${i}`;
    if (createHash('sha256').update(candidate).digest()[0] === 0) return candidate;
  }
}

describe('generateJoinToken / parseJoinToken', () => {
  it('has the SWMTKN-1 shape and round-trips the CA digest', () => {
    const token = generateJoinToken(PEM);
    expect(token).toMatch(/^SWMTKN-1-[0-9a-z]{50}-[0-9a-z]{25}$/);
    const parsed = parseJoinToken(token);
    expect(parsed).toEqual({ version: 1, rootDigestHex: caDigest(PEM), secret: token.split('-')[3] });
  });

  it('keeps leading zero bytes of the digest and of the secret', () => {
    const pem = pemWithLeadingZeroDigest();
    const token = generateJoinToken(pem, zeros);
    const parsed = parseJoinToken(token);
    expect(parsed.rootDigestHex).toMatch(/^00[0-9a-f]{62}$/);
    expect(parsed.rootDigestHex).toBe(caDigest(pem));
    expect(parsed.secret).toBe('0'.repeat(25));
  });

  it('parses an all-zero digest', () => {
    const parsed = parseJoinToken(`SWMTKN-1-${'0'.repeat(50)}-${'1'.repeat(25)}`);
    expect(parsed.rootDigestHex).toBe('0'.repeat(64));
  });

  it('worker and manager tokens share the digest but not the secret', () => {
    const a = parseJoinToken(generateJoinToken(PEM));
    const b = parseJoinToken(generateJoinToken(PEM));
    expect(a.rootDigestHex).toBe(b.rootDigestHex);
    expect(a.secret).not.toBe(b.secret);
  });

  const digest = bytesToBase36(Buffer.from(caDigest(PEM), 'hex'), 50);
  const secret = 'a'.repeat(25);
  it.each([
    ['wrong prefix', `SWMTKX-1-${digest}-${secret}`],
    ['wrong version', `SWMTKN-3-${digest}-${secret}`],
    ['FIPS form', `SWMTKN-2-1-${digest}-${secret}`],
    ['too few parts', `SWMTKN-1-${digest}`],
    ['too many parts', `SWMTKN-1-${digest}-${secret}-x`],
    ['short digest', `SWMTKN-1-${digest.slice(1)}-${secret}`],
    ['long digest', `SWMTKN-1-0${digest}-${secret}`],
    ['short secret', `SWMTKN-1-${digest}-${secret.slice(1)}`],
    ['long secret', `SWMTKN-1-${digest}-${secret}a`],
    ['upper-case digest', `SWMTKN-1-${digest.toUpperCase().replace(/^\d/, 'A')}-${secret}`],
    ['non-base36 secret', `SWMTKN-1-${digest}-${'_'.repeat(25)}`],
    ['digest above 2^256', `SWMTKN-1-${'z'.repeat(50)}-${secret}`],
    ['empty', ''],
  ])('rejects %s', (_name, token) => {
    expect(() => parseJoinToken(token)).toThrow(InvalidJoinTokenError);
    expect(() => parseJoinToken(token)).toThrow('invalid join token');
  });

  it('gives the error a stable code', () => {
    try {
      parseJoinToken('nope');
      expect.unreachable();
    } catch (err) {
      expect((err as InvalidJoinTokenError).code).toBe('INVALID_JOIN_TOKEN');
    }
  });
});

describe('verifyRootCA', () => {
  const token = parseJoinToken(generateJoinToken(PEM));

  it('accepts the exact CA bytes, as string or Buffer', () => {
    expect(() => verifyRootCA(PEM, token)).not.toThrow();
    expect(() => verifyRootCA(Buffer.from(PEM), token)).not.toThrow();
  });

  it('rejects any other bytes with Docker’s message', () => {
    const expected = `remote CA does not match fingerprint. Expected: sha256:${caDigest(PEM)}`;
    expect(() => verifyRootCA(PEM.trimEnd(), token)).toThrow(RemoteCAMismatchError);
    expect(() => verifyRootCA(`${PEM}${PEM}`, token)).toThrow(expected);
  });
});

describe('tokenSecretEquals', () => {
  it('compares exactly, whatever the lengths', () => {
    expect(tokenSecretEquals('abc', 'abc')).toBe(true);
    expect(tokenSecretEquals('abc', 'abd')).toBe(false);
    expect(tokenSecretEquals('abc', 'abcd')).toBe(false);
    expect(tokenSecretEquals('', 'a')).toBe(false);
    expect(tokenSecretEquals('', '')).toBe(true);
  });
});
