import { describe, expect, it } from 'vitest';
import { resolveUser } from './user';

const PASSWD = 'root:x:0:0:root:/root:/bin/bash\n# comment\nwww-data:x:33:33:www-data:/var/www:/usr/sbin/nologin\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n';
const GROUP = 'root:x:0:\nstaff:x:50:\nnogroup:x:65534:\n';

describe('resolveUser', () => {
  it('takes a name or a uid, with the primary group unless one is given', () => {
    expect(resolveUser('www-data', PASSWD, GROUP)).toEqual({ uid: 33, gid: 33, home: '/var/www' });
    expect(resolveUser('65534', PASSWD, GROUP)).toEqual({ uid: 65534, gid: 65534, home: '/nonexistent' });
    expect(resolveUser('www-data:staff', PASSWD, GROUP)).toEqual({ uid: 33, gid: 50, home: '/var/www' });
    expect(resolveUser('33:0', PASSWD, GROUP)).toEqual({ uid: 33, gid: 0, home: '/var/www' });
    // A uid with no passwd entry runs as is, in group 0 with HOME / (runc's defaults).
    expect(resolveUser('1234', PASSWD, GROUP)).toEqual({ uid: 1234, gid: 0, home: '/' });
  });

  it("refuses unknown names with Docker's texts", () => {
    expect(() => resolveUser('ghost', PASSWD, GROUP)).toThrow('unable to find user ghost: no matching entries in passwd file');
    expect(() => resolveUser('nobody:ghosts', PASSWD, GROUP)).toThrow('unable to find group ghosts: no matching entries in group file');
  });
});
