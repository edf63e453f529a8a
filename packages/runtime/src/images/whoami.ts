// Entry point of the `shoal/whoami` image: run by the process executor with
// node (`process.execPath dist/images/whoami.js`), configured by environment.
// Listens on $SHOAL_LISTEN_HOST (default 0.0.0.0, so the agent reaches it on
// 127.0.0.1 when it splices a tunnel stream to it) and $PORT (default 80), TCP
// (HTTP) and UDP.
import { isIPv6 } from 'node:net';
import { hostname } from 'node:os';
import { createWhoamiServer, createWhoamiUdpSocket, type WhoamiInfo } from './whoami-server';

function main(): void {
  const env = process.env;
  const port = Number(env['PORT'] ?? '80');
  const host = env['SHOAL_LISTEN_HOST'] || '0.0.0.0';
  const info: WhoamiInfo = {
    hostname: hostname(),
    taskId: env['SHOAL_TASK_ID'] ?? '',
    serviceName: env['SHOAL_SERVICE_NAME'] ?? '',
    slot: env['SHOAL_TASK_SLOT'] || null,
    nodeHostname: env['SHOAL_NODE_HOSTNAME'] ?? hostname(),
  };
  const server = createWhoamiServer(info);
  server.on('error', (err) => {
    process.stderr.write(`whoami: ${err.message}\n`);
    process.exit(1);
  });
  server.listen({ port, host }, () => process.stdout.write(`Starting up on port ${port}\n`));
  const udp = createWhoamiUdpSocket(info, isIPv6(host) ? 'udp6' : 'udp4');
  // HTTP is the image's main job: without UDP it still serves, and says why.
  udp.on('error', (err) => process.stderr.write(`whoami: UDP: ${err.message}\n`));
  udp.bind(port, host, () => process.stdout.write(`Answering UDP on port ${port}\n`));
}

main();
