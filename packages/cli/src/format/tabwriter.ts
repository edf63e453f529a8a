// Port of Go's text/tabwriter (as vendored by docker/cli) without the HTML and
// escape filters, which docker never enables. Elastic tabstops: a column's
// width is decided per block of consecutive lines that have a cell in it.

export interface TabWriterOptions {
  /** Minimal cell width including padding. */
  minwidth: number;
  /** Width of a tab character in padding, only used when padchar is a tab. */
  tabwidth: number;
  /** Added to each cell's text width. */
  padding: number;
  padchar: string;
}

/** The settings of every docker table (`cli/command/formatter/formatter.go`). */
export const DOCKER_TABLE: TabWriterOptions = { minwidth: 10, tabwidth: 1, padding: 3, padchar: ' ' };

interface Cell {
  text: string;
  width: number;
  /** True when a tab (not a newline) terminated the cell. */
  htab: boolean;
}

export class TabWriter {
  private lines: Cell[][] = [[]];
  private cell = '';
  private widths: number[] = [];
  private out = '';

  constructor(private readonly opts: TabWriterOptions = DOCKER_TABLE) {}

  write(text: string): void {
    let start = 0;
    for (let i = 0; i < text.length; i++) {
      const ch = text[i];
      if (ch !== '\t' && ch !== '\v' && ch !== '\n' && ch !== '\f') continue;
      this.cell += text.slice(start, i);
      start = i + 1;
      const ncells = this.terminateCell(ch === '\t');
      if (ch === '\n' || ch === '\f') {
        this.lines.push([]);
        // A line without tabs ends the block: columns above it are laid out
        // independently of the lines below.
        if (ch === '\f' || ncells === 1) this.flushLines();
      }
    }
    this.cell += text.slice(start);
  }

  /** Lays out everything buffered and returns the text written so far. */
  flush(): string {
    if (this.cell.length > 0) this.terminateCell(false);
    this.flushLines();
    const out = this.out;
    this.out = '';
    return out;
  }

  private terminateCell(htab: boolean): number {
    const line = this.lines[this.lines.length - 1] as Cell[];
    line.push({ text: this.cell, width: displayWidth(this.cell), htab });
    this.cell = '';
    return line.length;
  }

  private flushLines(): void {
    this.format(0, this.lines.length);
    this.lines = [[]];
    this.widths = [];
  }

  private format(line0: number, line1: number): void {
    const column = this.widths.length;
    for (let cur = line0; cur < line1; cur++) {
      if (column >= this.lineAt(cur).length - 1) continue;
      // cur is the first line of a block with a cell in this column.
      this.writeLines(line0, cur);
      line0 = cur;
      let width = this.opts.minwidth;
      for (; cur < line1; cur++) {
        const line = this.lineAt(cur);
        if (column >= line.length - 1) break;
        const c = line[column] as Cell;
        width = Math.max(width, c.width + this.opts.padding);
      }
      this.widths.push(width);
      this.format(line0, cur);
      this.widths.pop();
      line0 = cur;
    }
    this.writeLines(line0, line1);
  }

  private writeLines(line0: number, line1: number): void {
    for (let i = line0; i < line1; i++) {
      const line = this.lineAt(i);
      line.forEach((c, j) => {
        this.out += c.text;
        // Only cells terminated inside a laid-out column get padded; the
        // last cell of a line never does.
        const w = this.widths[j];
        if (w !== undefined) this.out += this.padding(c.width, w);
      });
      if (i + 1 === this.lines.length) {
        // The unterminated last line: its partial cell is still pending.
      } else {
        this.out += '\n';
      }
    }
  }

  private padding(textw: number, cellw: number): string {
    if (this.opts.padchar === '\t') {
      if (this.opts.tabwidth === 0) return '';
      const tw = this.opts.tabwidth;
      const w = Math.ceil(cellw / tw) * tw;
      return '\t'.repeat(Math.ceil((w - textw) / tw));
    }
    return this.opts.padchar.repeat(Math.max(0, cellw - textw));
  }

  private lineAt(i: number): Cell[] {
    return this.lines[i] as Cell[];
  }
}

/** Lays out a whole text in one go. */
export function tabulate(text: string, opts: TabWriterOptions = DOCKER_TABLE): string {
  const tw = new TabWriter(opts);
  tw.write(text);
  return tw.flush();
}

/**
 * Terminal columns a string occupies, like go-runewidth: East Asian wide and
 * fullwidth characters count two, combining marks zero.
 */
export function displayWidth(s: string): number {
  let w = 0;
  for (const ch of s) {
    const cp = ch.codePointAt(0) ?? 0;
    if (cp < 0x20 || (cp >= 0x7f && cp < 0xa0)) continue;
    if (/\p{Mn}|\p{Me}|\p{Cf}/u.test(ch)) continue;
    w += isWide(cp) ? 2 : 1;
  }
  return w;
}

function isWide(cp: number): boolean {
  return (
    (cp >= 0x1100 && cp <= 0x115f) ||
    (cp >= 0x2e80 && cp <= 0x303e) ||
    (cp >= 0x3041 && cp <= 0x33ff) ||
    (cp >= 0x3400 && cp <= 0x4dbf) ||
    (cp >= 0x4e00 && cp <= 0x9fff) ||
    (cp >= 0xa000 && cp <= 0xa4cf) ||
    (cp >= 0xac00 && cp <= 0xd7a3) ||
    (cp >= 0xf900 && cp <= 0xfaff) ||
    (cp >= 0xfe30 && cp <= 0xfe4f) ||
    (cp >= 0xff00 && cp <= 0xff60) ||
    (cp >= 0xffe0 && cp <= 0xffe6) ||
    (cp >= 0x1f300 && cp <= 0x1f64f) ||
    (cp >= 0x1f900 && cp <= 0x1f9ff) ||
    (cp >= 0x20000 && cp <= 0x3fffd)
  );
}
