// `--user name|uid[:group|gid]` → the uid and gid a task's process runs as, looked up in
// /etc/passwd and /etc/group as Docker's runtime does, with its error texts.
import { readFileSync } from 'node:fs';

export interface TaskUser {
  uid: number;
  gid: number;
  /** The passwd entry's home directory ('/' without an entry): the task's HOME, as in a container. */
  home: string;
}

interface Entry {
  name: string;
  id: number;
  /** passwd: the primary group and the home directory. */
  gid?: number;
  home?: string;
}

function parseEntries(text: string, withGid: boolean): Entry[] {
  const out: Entry[] = [];
  for (const line of text.split('\n')) {
    if (line.trim() === '' || line.startsWith('#')) continue;
    const f = line.split(':');
    const id = Number(f[2]);
    if (f[0] === undefined || !Number.isInteger(id)) continue;
    out.push({ name: f[0], id, ...(withGid && Number.isInteger(Number(f[3])) ? { gid: Number(f[3]) } : {}), ...(withGid && f[5] ? { home: f[5] } : {}) });
  }
  return out;
}

/** Pure: resolves `spec` against the passwd and group files' contents. */
export function resolveUser(spec: string, passwd: string, group: string): TaskUser {
  const [userPart = '', groupPart] = spec.split(':', 2);
  const users = parseEntries(passwd, true);
  const numeric = /^\d+$/.test(userPart);
  const user = users.find((u) => (numeric ? u.id === Number(userPart) : u.name === userPart));
  if (!user && !numeric) throw new Error(`unable to find user ${userPart}: no matching entries in passwd file`);
  const uid = user?.id ?? Number(userPart);
  const home = user?.home ?? '/';
  // A uid without a passwd entry runs in group 0, as runc's defaults give it (so an image's
  // group-writable files stay writable for an arbitrary uid: the convention OpenShift relies on).
  if (groupPart === undefined || groupPart === '') return { uid, gid: user?.gid ?? 0, home };
  if (/^\d+$/.test(groupPart)) return { uid, gid: Number(groupPart), home };
  const g = parseEntries(group, false).find((e) => e.name === groupPart);
  if (!g) throw new Error(`unable to find group ${groupPart}: no matching entries in group file`);
  return { uid, gid: g.id, home };
}

/** resolveUser against this host's files. */
export function lookupUser(spec: string): TaskUser {
  const read = (file: string) => {
    try {
      return readFileSync(file, 'utf8');
    } catch {
      return '';
    }
  };
  return resolveUser(spec, read('/etc/passwd'), read('/etc/group'));
}
