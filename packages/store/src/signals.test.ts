import { describe, expect, it } from 'vitest';
import { parseSignal } from './signals';

describe('parseSignal', () => {
  it('reads names with or without SIG, in any case, and numbers', () => {
    expect(parseSignal('SIGINT')).toBe('SIGINT');
    expect(parseSignal('int')).toBe('SIGINT');
    expect(parseSignal('sigusr1')).toBe('SIGUSR1');
    expect(parseSignal('15')).toBe('SIGTERM');
    expect(parseSignal('9')).toBe('SIGKILL');
  });

  it('names no signal for anything else', () => {
    for (const bad of ['', 'SIGNOPE', 'TERMX', '999', '-1']) expect(parseSignal(bad)).toBeUndefined();
  });
});
