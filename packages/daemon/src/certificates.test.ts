import { describe, expect, it } from 'vitest';
import { renewalDelayMs } from './certificates';

describe('renewalDelayMs', () => {
  const DAY = 86_400_000;
  const notBefore = Date.parse('2026-01-01T00:00:00Z');
  const notAfter = notBefore + 90 * DAY;

  it('renews between 50 % and 80 % of the validity, as swarmkit does', () => {
    expect(renewalDelayMs(notBefore, notAfter, notBefore, () => 0)).toBe(45 * DAY);
    expect(renewalDelayMs(notBefore, notAfter, notBefore, () => 1)).toBe(72 * DAY);
    expect(renewalDelayMs(notBefore, notAfter, notBefore + 10 * DAY, () => 0.5)).toBe((45 + 13.5 - 10) * DAY);
  });

  it('renews at once when that point has passed (a node that was off for long)', () => {
    expect(renewalDelayMs(notBefore, notAfter, notBefore + 80 * DAY, () => 0.99)).toBe(0);
    expect(renewalDelayMs(notBefore, notAfter, notAfter + DAY)).toBe(0);
  });
});
