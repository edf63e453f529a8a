// One side of the ingress benchmark as its own process, like a real node:
//   node mesh-node.mjs a <config.json>   ingress proxy + tunnel client ("node A", runs no task)
//   node mesh-node.mjs b <config.json>   tunnel server ("node B", where the backend task runs)
// Prints "ready" once listening; SIGTERM closes everything and exits.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const [role, configPath] = process.argv.slice(2);
const cfg = JSON.parse(readFileSync(configPath, 'utf8'));
// A/B runs may load another build of @shoal/mesh (run.mjs --variant-dist).
const mesh = require(resolve(cfg.meshDist ?? resolve(root, 'packages/mesh/dist'), 'index.js'));
const tls = { ca: readFileSync(cfg.caFile), cert: readFileSync(cfg[role].certFile), key: readFileSync(cfg[role].keyFile) };

let close;
if (role === 'a') {
  const tunnel = new mesh.TunnelClient({
    tls,
    port: cfg.tunnelPort,
    localAddress: cfg.a.addr,
    ...(cfg.streamWindow ? { streamWindow: cfg.streamWindow } : {}),
  });
  const proxy = new mesh.IngressProxy({
    bindAddr: cfg.a.ingressBind,
    nodeId: 'node-a',
    tunnel,
    ...(cfg.readBufferBytes !== undefined ? { readBufferBytes: cfg.readBufferBytes } : {}),
  });
  // The kernel fast path (root): DNAT rules send the local task's connections past this process.
  const fastPath = cfg.kernelFastPath ? await mesh.KernelFastPath.start({ nodeAddr: cfg.a.ingressBind, nodeId: 'node-a' }) : null;
  if (cfg.kernelFastPath && !fastPath) throw new Error('kernel fast path unavailable');
  if (fastPath) await fastPath.update(cfg.endpoints).applied;
  await proxy.setEndpoints(cfg.endpoints);
  tunnel.warm([{ nodeId: 'node-b', addr: cfg.b.addr }]);
  close = async () => {
    await fastPath?.close();
    await proxy.close();
    await tunnel.close();
  };
} else {
  const targets = new mesh.LocalEndpoints('node-b');
  targets.setEndpoints(cfg.endpoints);
  const server = await mesh.TunnelServer.listen({
    bindAddr: cfg.b.addr,
    port: cfg.tunnelPort,
    tls,
    targets,
    ...(cfg.streamWindow ? { streamWindow: cfg.streamWindow } : {}),
  });
  close = () => server.close();
}
process.on('SIGTERM', () => {
  close().finally(() => process.exit(0));
});
process.stdout.write('ready\n');
