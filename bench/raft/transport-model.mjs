#!/usr/bin/env node
// A 3-process model of one Raft commit, to price the transport alone: a "leader" receives a
// request on a unix socket, writes 620 bytes to its log, sends them to two "followers" and
// fsyncs on libuv's pool; each follower writes, fsyncs and answers; the leader answers the
// client once it is durable and one follower answered. The same exchange runs over three
// transports, all mutual TLS on loopback:
//   grpc  grpc-js client stream -> grpc-js server (what the managers use)
//   h2    a bare node:http2 stream speaking gRPC framing -> grpc-js server
//   tls   a bare TLS socket (no framing: each write is one small record)
// Reported: commit latency p50/p90 at the client, and the follower-side transit (leader's
// send -> follower's data handler; both use the same monotonic clock).
//   node bench/raft/transport-model.mjs [--n 3000]
import { execFileSync, fork } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tls from 'node:tls';
import * as http2 from 'node:http2';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const require = createRequire(path.join(root, 'packages/wire/package.json'));
const grpc = require('@grpc/grpc-js');

const [role, mode, dir] = process.argv.slice(2);
const nAt = process.argv.indexOf('--n');
const N = nAt > 0 ? Number(process.argv[nAt + 1]) : 3000;
const PORTS = { leader: 19910, f1: 19911, f2: 19912 };
const id = (x) => x;
const SERVICE = {
  Step: { path: '/model.Raft/Step', requestStream: true, responseStream: false, requestSerialize: id, requestDeserialize: id, responseSerialize: id, responseDeserialize: id },
};

if (!role || role === '--n') await main();
else child(role, mode, dir);

async function main() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'raft-model-'));
  try {
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', path.join(dir, 'k.pem'), '-out', path.join(dir, 'c.pem'), '-days', '1', '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1'], { stdio: 'ignore' });
    console.log('| transport | commit p50 µs | commit p90 µs | transit to follower p50 µs | p90 µs |');
    console.log('|---|---|---|---|---|');
    for (const mode of ['grpc', 'h2', 'tls']) console.log(await run(mode, dir));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** Starts followers, then the leader, drives N sequential commits; every child is stopped by PID. */
async function run(mode, dir) {
  const script = fileURLToPath(import.meta.url);
  const kids = [];
  const start = (r) => {
    const k = fork(script, [r, mode, dir], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    kids.push(k);
    return new Promise((resolve) => k.once('message', resolve)).then(() => k);
  };
  try {
    await Promise.all([start('f1'), start('f2')]);
    await start('leader');
    const c = net.connect(path.join(dir, 'leader.sock'));
    await new Promise((r) => c.once('connect', r));
    const lat = [];
    for (let i = 0; i < N; i++) {
      const t = process.hrtime.bigint();
      c.write('x');
      await new Promise((r) => c.once('data', r));
      lat.push(Number(process.hrtime.bigint() - t) / 1e3);
    }
    c.destroy();
    fs.rmSync(path.join(dir, 'leader.sock'), { force: true });
    const transit = [];
    for (const k of kids.slice(0, 2)) {
      k.send('report');
      transit.push(...(await new Promise((r) => k.once('message', r))));
    }
    return `| ${mode} | ${pct(lat, 50)} | ${pct(lat, 90)} | ${pct(transit, 50)} | ${pct(transit, 90)} |`;
  } finally {
    for (const k of kids) if (k.exitCode === null) k.kill('SIGKILL');
  }
}

function pct(xs, p) {
  const s = [...xs].sort((a, b) => a - b);
  return Math.round(s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]);
}

function child(role, mode, dir) {
  const key = fs.readFileSync(path.join(dir, 'k.pem'));
  const cert = fs.readFileSync(path.join(dir, 'c.pem'));
  const fd = fs.openSync(path.join(dir, `log-${role}`), 'w');

  const serve = (port, onMessage, ready) => {
    if (mode === 'tls') {
      tls.createServer({ key, cert, ca: cert, requestCert: true }, (s) => {
        s.setNoDelay(true);
        s.on('data', onMessage);
      }).listen(port, '127.0.0.1', ready);
      return;
    }
    const server = new grpc.Server();
    server.addService(SERVICE, { Step: (call) => call.on('data', onMessage) });
    server.bindAsync(`127.0.0.1:${port}`, grpc.ServerCredentials.createSsl(cert, [{ private_key: key, cert_chain: cert }], true), ready);
  };
  const connect = (port) => {
    if (mode === 'grpc') {
      const Client = grpc.makeGenericClientConstructor(SERVICE);
      const call = new Client(`localhost:${port}`, grpc.credentials.createSsl(cert, key, cert)).Step(() => {});
      return (b) => call.write(b);
    }
    const socket = () => {
      const s = tls.connect({ port, host: '127.0.0.1', key, cert, ca: cert, servername: 'localhost', ...(mode === 'h2' ? { ALPNProtocols: ['h2'] } : {}) });
      s.setNoDelay(true);
      return s;
    };
    if (mode === 'tls') {
      const s = socket();
      return (b) => s.write(b);
    }
    const session = http2.connect(`https://localhost:${port}`, { createConnection: socket });
    const stream = session.request({ ':method': 'POST', ':path': SERVICE.Step.path, 'content-type': 'application/grpc', te: 'trailers' });
    stream.on('response', () => {});
    return (b) => {
      const frame = Buffer.allocUnsafe(5 + b.length);
      frame[0] = 0;
      frame.writeUInt32BE(b.length, 1);
      b.copy(frame, 5);
      stream.write(frame);
    };
  };

  if (role === 'leader') {
    let toF1;
    let toF2;
    let waiting = null;
    let acks = 0;
    let durable = false;
    const maybeAnswer = () => {
      if (waiting && durable && acks >= 1) {
        waiting.write('k');
        waiting = null;
      }
    };
    serve(PORTS.leader, () => {
      acks++;
      setImmediate(maybeAnswer);
    }, () => {
      toF1 = connect(PORTS.f1);
      toF2 = connect(PORTS.f2);
      net.createServer((c) => c.on('data', () => {
        waiting = c;
        acks = 0;
        durable = false;
        setImmediate(() => {
          const entry = Buffer.alloc(620);
          fs.writeSync(fd, entry);
          entry.writeBigUInt64LE(process.hrtime.bigint(), entry.length - 8);
          toF1(entry);
          toF2(entry);
          fs.fdatasync(fd, () => {
            durable = true;
            maybeAnswer();
          });
        });
      })).listen(path.join(dir, 'leader.sock'), () => process.send('up'));
    });
    return;
  }
  const transit = [];
  let toLeader = null;
  process.on('message', () => process.send(transit));
  serve(PORTS[role], (data) => {
    const now = process.hrtime.bigint();
    const b = Buffer.from(data);
    transit.push(Number(now - b.readBigUInt64LE(b.length - 8)) / 1e3);
    setImmediate(() => {
      fs.writeSync(fd, b);
      fs.fdatasync(fd, () => (toLeader ??= connect(PORTS.leader))(Buffer.alloc(40)));
    });
  }, () => process.send('up'));
}
