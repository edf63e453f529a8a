// The floor for a Node TCP proxy on this machine (run.mjs --variants): no balancing, no
// half-close, no backpressure, just 'data' → write() both ways.
//   node minimal-proxy.mjs <listen host> <listen port> <upstream host> <upstream port>
import { connect, createServer } from 'node:net';

const [host, port, upHost, upPort] = process.argv.slice(2);
const server = createServer({ noDelay: true }, (client) => {
  const upstream = connect({ host: upHost, port: Number(upPort), noDelay: true });
  client.on('data', (d) => upstream.write(d));
  upstream.on('data', (d) => client.write(d));
  client.on('end', () => upstream.end());
  upstream.on('end', () => client.end());
  client.on('error', () => upstream.destroy());
  upstream.on('error', () => client.destroy());
});
server.listen(Number(port), host, () => process.stdout.write('ready\n'));
process.on('SIGTERM', () => process.exit(0));
