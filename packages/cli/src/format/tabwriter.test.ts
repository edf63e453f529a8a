import { describe, expect, it } from 'vitest';
import { TabWriter, displayWidth, tabulate } from './tabwriter';

describe('tabwriter (docker table settings)', () => {
  it('pads each column to its widest cell plus 3, at least 10, and leaves the last column alone', () => {
    const out = tabulate('ID\tNAME\tX\nabcdefghijkl\tn\tlast\n');
    expect(out).toBe('ID             NAME      X\nabcdefghijkl   n         last\n');
  });

  it('pads an empty trailing cell terminated by a tab, as docker emits', () => {
    // `ERROR\tPORTS` with an empty error and empty ports: the error column is padded.
    expect(tabulate('A\tERROR\tPORTS\nx\t\t\n')).toBe('A         ERROR     PORTS\nx                   \n');
  });

  it('lays out blocks separately when a line has no tab', () => {
    const out = tabulate('a\tb\nlonger-than-ten\tc\nplain line\nx\ty\n');
    // 'longer-than-ten' is 15 wide: its block is 18 wide; the block below the plain line is not.
    expect(out).toBe(`${'a'.padEnd(18)}b\n${'longer-than-ten'.padEnd(18)}c\nplain line\n${'x'.padEnd(10)}y\n`);
  });

  it('handles ragged rows column by column', () => {
    expect(tabulate('a\tb\tc\nd\n')).toBe('a         b         c\nd\n');
    expect(tabulate('a\tb\tc\nlong-long-long\te\n')).toBe(`${'a'.padEnd(17)}b         c\n${'long-long-long'.padEnd(17)}e\n`);
  });

  it('keeps text written without a final newline until flush', () => {
    const tw = new TabWriter();
    tw.write('a\tb');
    tw.write('\nc\td');
    expect(tw.flush()).toBe('a         b\nc         d');
  });

  it('supports the version layout (minwidth 20, padding 1)', () => {
    const out = tabulate('Client:\n Version:\t1\n API version:\t2\n', { minwidth: 20, tabwidth: 1, padding: 1, padchar: ' ' });
    expect(out).toBe('Client:\n Version:           1\n API version:       2\n');
  });

  it('counts wide characters as two columns', () => {
    expect(displayWidth('abc')).toBe(3);
    expect(displayWidth('日本')).toBe(4);
    expect(displayWidth('é')).toBe(1);
  });
});
