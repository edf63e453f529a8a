// One request to a `shoal/whoami` task through a published port: which task and node answered.
import * as http from 'node:http';

export interface WhoamiAnswer {
  task: string;
  node: string;
  body: string;
}

/** GET / on ip:port with a fresh connection; rejects on connection errors and after `timeoutMs`. */
export function whoami(ip: string, port: number, timeoutMs = 2000): Promise<WhoamiAnswer> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: ip, port, path: '/', agent: false, timeout: timeoutMs }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ task: /^Task: (\S+)/m.exec(body)?.[1] ?? '', node: /^Node: (\S+)/m.exec(body)?.[1] ?? '', body }));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
  });
}
