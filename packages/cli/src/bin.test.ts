// The built `shoal` binary's process-level behaviour (needs `pnpm exec tsc -b` first, as every
// tier does through scripts/test).
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const BIN = join(__dirname, '..', 'dist', 'bin.js');

describe('shoal binary', () => {
  it('ends with status 141 and no stack trace when its reader goes away (| head), as a Go program on SIGPIPE', () => {
    expect(existsSync(BIN), `${BIN} is built`).toBe(true);
    // `true` exits without reading: the help screen is written into a pipe nobody reads.
    const out = execFileSync('bash', ['-c', `node -- "${BIN}" service create --help 2>&1 | true; echo "status \${PIPESTATUS[0]}"`], { encoding: 'utf8' });
    expect(out).toBe('status 141\n');
  });
});
