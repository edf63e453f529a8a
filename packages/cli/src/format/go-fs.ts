// File reads whose errors read like Go's *os.PathError (`open /x: no such file or directory`),
// for the flags docker reads files for (--env-file, --ca-cert, --ca-key).
import { readFileSync } from 'node:fs';

const ERRNO_TEXT: Record<string, string> = {
  ENOENT: 'no such file or directory',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EISDIR: 'is a directory',
  ENOTDIR: 'not a directory',
  ELOOP: 'too many levels of symbolic links',
  ENAMETOOLONG: 'file name too long',
};

/** os.ReadFile: a directory opens and then fails to read, as on Linux. */
export function readFileGo(path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? '';
    const text = ERRNO_TEXT[code];
    if (text === undefined) throw err;
    throw new Error(`${code === 'EISDIR' ? 'read' : 'open'} ${path}: ${text}`, { cause: err });
  }
}
