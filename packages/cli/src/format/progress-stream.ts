// Renders progress messages as docker's jsonmessage.DisplayJSONMessagesStream
// does: on a terminal each ID'd line is redrawn in place with ANSI cursor moves;
// elsewhere lines that carry a progress bar are dropped.

/** A progress bar's state (jsonmessage.JSONProgress). */
export interface ProgressBar {
  current: number;
  total: number;
  hideCounts?: boolean;
}

/**
 * One message of the stream. `progress` is present for every progress update
 * (an all-zero bar prints nothing), absent for a plain status message.
 */
export interface ProgressMessage {
  id?: string;
  status: string;
  progress?: ProgressBar;
}

const ESC = '\x1b[';
const cursorUp = (n: number): string => (n === 0 ? '' : `${ESC}${n}A`);
const cursorDown = (n: number): string => (n === 0 ? '' : `${ESC}${n}B`);
const CLEAR_LINE = `${ESC}2K`;

/** JSONProgress.String(): the bar only on terminals wider than 110 columns; counts are always hidden here. */
export function progressBarText(p: ProgressBar, width: number): string {
  if (p.current <= 0 && p.total <= 0) return '';
  if (p.total <= 0) return '';
  let percentage = Math.trunc(Math.trunc((p.current / p.total) * 100) / 2);
  if (percentage > 50) percentage = 50;
  if (width <= 110) return '';
  return `[${'='.repeat(percentage)}>${' '.repeat(Math.max(0, 50 - percentage))}] `;
}

export interface ProgressDisplayOptions {
  write(text: string): void;
  /** Redraw in place (true) or append lines, dropping bars (false). */
  isTerminal: boolean;
  /** Terminal width in columns; a non-terminal counts as 200 wide, as docker's failed winsize lookup does. */
  columns(): number;
}

/** Stateful: it remembers which line each ID was drawn on. */
export class ProgressDisplay {
  private ids = new Map<string, number>();

  constructor(private readonly opts: ProgressDisplayOptions) {}

  show(msg: ProgressMessage): void {
    const { write, isTerminal } = this.opts;
    const width = isTerminal ? this.opts.columns() : 200;
    let diff = 0;
    const id = msg.id ?? '';
    if (id !== '' && msg.progress !== undefined) {
      let line = this.ids.get(id);
      if (line === undefined) {
        line = this.ids.size;
        this.ids.set(id, line);
        if (isTerminal) write('\n');
      }
      diff = this.ids.size - line;
      if (isTerminal) write(cursorUp(diff));
    } else {
      // Anything that is not a progress line ends the block of redrawable lines.
      this.ids = new Map();
    }
    write(this.render(msg, width));
    if (id !== '' && isTerminal) write(cursorDown(diff));
  }

  private render(msg: ProgressMessage, width: number): string {
    const { isTerminal } = this.opts;
    let endl = '';
    let text = '';
    if (isTerminal && msg.progress !== undefined) {
      text += `${CLEAR_LINE}\r`;
      endl = '\r';
    } else if (msg.progress !== undefined && progressBarText(msg.progress, width) !== '') {
      return ''; // no bars off a terminal
    }
    if (msg.id !== undefined && msg.id !== '') text += `${msg.id}: `;
    if (msg.progress !== undefined && isTerminal) return `${text}${msg.status} ${progressBarText(msg.progress, width)}${endl}`;
    return `${text}${msg.status}${endl}\n`;
  }
}
