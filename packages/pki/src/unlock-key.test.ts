import { describe, expect, it } from 'vitest';
import { InvalidUnlockKeyFormatError, WrongUnlockKeyError } from './errors';
import {
  generateUnlockKey,
  openWithUnlockKey,
  parseUnlockKey,
  sealWithUnlockKey,
} from './unlock-key';

describe('unlock keys', () => {
  it('look like swarmkit keys: SWMKEY-1- and 32 bytes of unpadded base64', () => {
    const key = generateUnlockKey();
    expect(key).toMatch(/^SWMKEY-1-[A-Za-z0-9+/]{43}$/);
    expect(parseUnlockKey(key)).toHaveLength(32);
    expect(generateUnlockKey()).not.toBe(key);
  });

  it('refuses what is not a key with swarmkit\'s words', () => {
    for (const bad of ['', 'SWMTKN-1-abc', 'swmkey-1-AAAA', 'SWMKEY-1-AAAA=', 'SWMKEY-1-A', 'SWMKEY-1-AB*D', 'SWMKEY-1-AB']) {
      expect(() => parseUnlockKey(bad), bad).toThrow(InvalidUnlockKeyFormatError);
    }
    expect(() => parseUnlockKey('x')).toThrow('invalid key string');
  });

  it('seals data that only the same key opens', () => {
    const key = parseUnlockKey(generateUnlockKey());
    const sealed = sealWithUnlockKey(key, Buffer.from('private key'));
    expect(sealed).not.toContain('private');
    expect(openWithUnlockKey(key, sealed).toString()).toBe('private key');
    expect(() => openWithUnlockKey(parseUnlockKey(generateUnlockKey()), sealed)).toThrow(WrongUnlockKeyError);
    expect(() => openWithUnlockKey(key, sealed.slice(0, 8))).toThrow(WrongUnlockKeyError);
  });
});
