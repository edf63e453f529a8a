import { describe, expect, it } from 'vitest';
import { ProgressDisplay, progressBarText } from './progress-stream';

const ESC = '\x1b[';

function render(isTerminal: boolean, columns: number, show: (d: ProgressDisplay) => void): string {
  let out = '';
  show(new ProgressDisplay({ write: (s) => (out += s), isTerminal, columns: () => columns }));
  return out;
}

describe('progress display (jsonmessage)', () => {
  it('draws each ID on its own line and redraws it in place on a terminal', () => {
    const out = render(true, 120, (d) => {
      d.show({ id: 'overall progress', status: '0 out of 1 tasks', progress: { current: 0, total: 0 } });
      d.show({ id: '1/1', status: ' ', progress: { current: 0, total: 0 } });
      d.show({ id: '1/1', status: 'running  ', progress: { current: 9, total: 9, hideCounts: true } });
      d.show({ id: 'overall progress', status: '1 out of 1 tasks', progress: { current: 0, total: 0 } });
    });
    expect(out).toBe(
      `\n${ESC}1A${ESC}2K\roverall progress: 0 out of 1 tasks \r${ESC}1B` +
        `\n${ESC}1A${ESC}2K\r1/1:   \r${ESC}1B` +
        `${ESC}1A${ESC}2K\r1/1: running   [${'='.repeat(50)}>] \r${ESC}1B` +
        `${ESC}2A${ESC}2K\roverall progress: 1 out of 1 tasks \r${ESC}2B`,
    );
  });

  it('shows no bar on terminals of 110 columns or fewer', () => {
    expect(progressBarText({ current: 3, total: 9 }, 110)).toBe('');
    expect(progressBarText({ current: 3, total: 9 }, 111)).toBe(`[${'='.repeat(16)}>${' '.repeat(34)}] `);
  });

  it('drops bar lines and keeps the rest off a terminal', () => {
    const out = render(false, 80, (d) => {
      d.show({ id: '1/1', status: ' ', progress: { current: 0, total: 0 } });
      d.show({ id: '1/1', status: 'running  ', progress: { current: 9, total: 9, hideCounts: true } });
      d.show({ status: 'Operation continuing in background.' });
    });
    expect(out).toBe('1/1:  \nOperation continuing in background.\n');
  });
});
