// Why the tunnel multiplexes streams over one warm TLS connection per peer instead of handing out
// one pooled TLS connection per stream: what each costs per client connection, on this machine.
//   node bench/ingress/tunnel-design.mjs
// Both ends run in this one process, so the CPU figures cover client + server side.
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { connect as tlsConnect, createServer as createTlsServer } from 'node:tls';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const mesh = require(resolve(root, 'packages/mesh/dist/index.js'));
const pki = require(resolve(root, 'packages/pki/dist/index.js'));

const HANDSHAKES = 400;
const STREAMS = 5000;
const CONCURRENCY = 10;

const ca = await pki.generateRootCA();
const issue = async (nodeId) => {
  const c = await pki.createNodeCertificate({ caCertPem: ca.certPem, caKeyPem: ca.keyPem, nodeId, role: 'worker', clusterId: 'bench' });
  return { ca: ca.certPem, cert: c.certPem, key: c.keyPem };
};
const [tlsA, tlsB] = await Promise.all([issue('node-a'), issue('node-b')]);

const echo = createServer({ allowHalfOpen: true }, (s) => {
  s.on('data', (d) => s.write(d));
  s.on('end', () => s.end());
  s.on('error', () => undefined);
});
await new Promise((r) => echo.listen(0, '127.0.0.1', r));
const echoPort = echo.address().port;

async function measure(label, n, one) {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < n) {
        next++;
        await one();
      }
    }),
  );
  const ms = performance.now() - t0;
  const cpu = process.cpuUsage(c0);
  const us = (cpu.user + cpu.system) / n;
  console.log(`${label.padEnd(58)} ${String(Math.round((n / ms) * 1000)).padStart(7)} /s  ${us.toFixed(0).padStart(6)} µs CPU each`);
  return us;
}

// 1. A fresh mutually authenticated TLS connection: what a per-stream pool pays for every client
//    connection (to replenish the pool), even if the handshake happens off the hot path.
const tlsServer = createTlsServer(mesh.tunnelServerTls(tlsB), (s) => {
  s.on('error', () => undefined);
  s.end();
});
await new Promise((r) => tlsServer.listen(0, '127.0.0.1', r));
const handshake = () =>
  new Promise((done) => {
    const s = tlsConnect({ ...mesh.tunnelClientTls(tlsA, 'node-b'), host: '127.0.0.1', port: tlsServer.address().port });
    s.on('secureConnect', () => s.destroy());
    s.on('error', () => undefined);
    s.on('close', done);
  });

// 2. A stream over the warm multiplexed connection, to a task that echoes one byte.
const targets = new mesh.LocalEndpoints('node-b');
targets.setEndpoints([
  { serviceId: 's', serviceName: 's', taskId: 't', nodeId: 'node-b', nodeAddr: '127.0.0.1', port: echoPort, publishedPorts: [], state: 'running' },
]);
const server = await mesh.TunnelServer.listen({ bindAddr: '127.0.0.1', port: 0, tls: tlsB, targets });
const client = new mesh.TunnelClient({ tls: tlsA, peerAddress: () => ({ host: '127.0.0.1', port: server.address.port }) });
const peer = { nodeId: 'node-b', addr: '127.0.0.1' };
const muxStream = async () => {
  const st = await client.openStream(peer, { taskId: 't' });
  await new Promise((done) => {
    st.on('data', () => undefined);
    st.on('close', done);
    st.resume();
    st.end(Buffer.from('x'));
  });
};

// 3. The floor: a plain TCP connection to the same task (what the ingress pays for a local task).
const plain = () =>
  new Promise((done) => {
    const s = require('node:net').connect({ host: '127.0.0.1', port: echoPort, allowHalfOpen: true });
    s.on('connect', () => s.end('x'));
    s.on('data', () => undefined);
    s.on('error', () => undefined);
    s.on('close', done);
  });

console.log(`mTLS: ${tlsServer.address() && 'ECDSA P-256 node certificates from @shoal/pki'}, ${CONCURRENCY} at a time; both ends in one process\n`);
await measure('new mTLS connection (pool of one-connection-per-stream)', HANDSHAKES, handshake);
await measure('stream open + 1-byte echo + close over one warm connection', STREAMS, muxStream);
await measure('plain TCP connect + 1-byte echo + close (floor)', STREAMS, plain);

await client.close();
await server.close();
tlsServer.close();
echo.close();
