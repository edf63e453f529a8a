// Temporary directories for file-storage tests, removed by the caller.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

export function makeTmpDir(prefix = 'shoal-raft-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

export function removeDir(dir: string): void {
  fs.rmSync(dir, { recursive: true, force: true });
}
