import { describe, expect, it } from 'vitest';
import { naturalCompare, naturalLess } from './natural-sort';

describe('natural sort', () => {
  it('orders numbers by value', () => {
    const names = ['node-10-foo', 'node-2-foo', 'node-1-foo', 'node-1', 'node'];
    expect([...names].sort(naturalCompare)).toEqual(['node', 'node-1', 'node-1-foo', 'node-2-foo', 'node-10-foo']);
  });

  it('puts digits before other characters and fewer leading zeros first', () => {
    expect(naturalLess('1a', 'aa')).toBe(true);
    expect(naturalLess('a01', 'a1')).toBe(false);
    expect(naturalLess('a1', 'a01')).toBe(true);
    expect(naturalLess('a007', 'a7b')).toBe(false);
    expect(naturalLess('x', 'x')).toBe(false);
    expect(['worker10', 'worker9', 'Worker1', 'manager'].sort(naturalCompare)).toEqual(['Worker1', 'manager', 'worker9', 'worker10']);
  });
});
