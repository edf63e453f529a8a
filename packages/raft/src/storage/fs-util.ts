// Small durability helpers (synchronous, and one asynchronous twin for large files).
import * as fs from 'node:fs';
import * as path from 'node:path';

/** Makes a directory entry change (create, rename, unlink) durable. */
export function fsyncDir(dir: string): void {
  const fd = fs.openSync(dir, 'r');
  try {
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

/** Writes `parts` joined to `file` so that after a crash it holds either the old or the new content. */
export function writeFileAtomic(file: string, parts: readonly Uint8Array[]): void {
  const tmp = `${file}.tmp`;
  const fd = fs.openSync(tmp, 'w');
  try {
    for (const part of parts) writeAll(fd, part);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  fs.renameSync(tmp, file);
  fsyncDir(path.dirname(file));
}

/** writeFileAtomic of `parts` joined, on libuv's pool: the caller's thread is not blocked while a large file is written and fsynced. */
export async function writeFileAtomicAsync(file: string, parts: readonly Uint8Array[]): Promise<void> {
  const tmp = `${file}.tmp`;
  const fh = await fs.promises.open(tmp, 'w');
  try {
    for (const part of parts) await fh.writeFile(part);
    await fh.sync();
  } finally {
    await fh.close();
  }
  await fs.promises.rename(tmp, file);
  const dir = await fs.promises.open(path.dirname(file), 'r');
  try {
    await dir.sync();
  } finally {
    await dir.close();
  }
}

export function writeAll(fd: number, data: Uint8Array): void {
  let done = 0;
  while (done < data.byteLength) done += fs.writeSync(fd, data, done, data.byteLength - done);
}

/** Writes all of `data` at `position` (positional: the fd's offset is not used). */
export function writeAllAt(fd: number, data: Uint8Array, position: number): void {
  let done = 0;
  while (done < data.byteLength) done += fs.writeSync(fd, data, done, data.byteLength - done, position + done);
}

/** Removes leftovers of interrupted atomic writes. */
export function removeTempFiles(dir: string): void {
  for (const name of fs.readdirSync(dir)) if (name.endsWith('.tmp')) fs.rmSync(path.join(dir, name), { force: true });
}
