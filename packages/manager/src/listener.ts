// The manager's one TLS listener on 2377. ALPN picks what a connection carries: 'h2' is gRPC
// (CA, dispatcher, control API, Raft joins and snapshots), handed to grpc-js through a
// connection injector after this listener's handshake; RAFT_ALPN is a Raft link, on which a
// peer manager sends length-prefixed batches of Raft messages, one way. Raft messages skip
// HTTP/2 because its framing costs about 0.12 ms per hop against a bare TLS socket
// (bench/raft/transport-model.mjs), and a commit waits for two hops.
import * as tls from 'node:tls';
import * as grpc from '@grpc/grpc-js';
import type { TlsMaterial } from '@shoal/wire';
import type { Logger } from 'pino';

export const RAFT_ALPN = 'shoal-raft/1';

export class ManagerListener {
  private readonly links = new Set<tls.TLSSocket>();

  private constructor(private readonly server: tls.Server) {}

  /**
   * Listens on `addr` (host:port). As the gRPC server did alone, a client certificate is requested
   * but not required, so the join bootstrap reaches the CA service; handlers and `raftLink`
   * authorise from the verified peer certificate.
   */
  static async open(addr: string, material: TlsMaterial, grpcServer: grpc.Server, raftLink: (socket: tls.TLSSocket) => void, logger: Logger): Promise<ManagerListener> {
    // TLS ends here, so grpc-js gets plaintext credentials; a call still sees the TLS socket
    // (getAuthContext reads the session's socket), hence its verified peer certificate.
    const injector = grpcServer.createConnectionInjector(grpc.ServerCredentials.createInsecure());
    const server = tls.createServer({
      key: material.keyPem,
      cert: material.certPem,
      ca: material.caCertPem,
      requestCert: true,
      rejectUnauthorized: false,
      ALPNProtocols: ['h2', RAFT_ALPN],
    });
    const listener = new ManagerListener(server);
    server.on('secureConnection', (socket) => {
      if (socket.alpnProtocol !== RAFT_ALPN) return injector.injectConnection(socket);
      socket.setNoDelay(true);
      listener.links.add(socket);
      socket.once('close', () => listener.links.delete(socket));
      raftLink(socket);
    });
    server.on('tlsClientError', (err) => logger.debug({ err: err.message }, 'TLS handshake on 2377 failed'));
    const { host, port } = splitAddr(addr);
    await new Promise<void>((resolve, reject) => {
      server.once('error', (err) => reject(new Error(remoteApiListenError(addr, err), { cause: err })));
      server.listen({ host: host === '' ? undefined : host, port }, () => resolve());
    });
    server.on('error', (err) => logger.error({ err }, 'manager listener failed'));
    return listener;
  }

  /** A renewed certificate for connections accepted from now on (open ones keep theirs). */
  setTls(material: TlsMaterial): void {
    this.server.setSecureContext({ key: material.keyPem, cert: material.certPem, ca: material.caCertPem });
  }

  /** Stops accepting and cuts the Raft links; gRPC sessions are the gRPC server's to shut down. */
  close(): void {
    this.server.close();
    for (const s of this.links) s.destroy();
    this.links.clear();
  }
}

/** A manager address, `host:port` or `[v6]:port` (as listen and advertise addresses are stored). */
export function splitAddr(addr: string): { host: string; port: number } {
  const at = addr.lastIndexOf(':');
  return { host: addr.slice(0, at).replace(/^\[(.*)\]$/, '$1'), port: Number(addr.slice(at + 1)) };
}

/** Go's texts for the errors a listen can meet (its syscall.Errno strings). */
const GO_ERRNO_TEXT: Readonly<Record<string, string>> = {
  EADDRINUSE: 'address already in use',
  EADDRNOTAVAIL: 'cannot assign requested address',
  EACCES: 'permission denied',
};

/** swarmkit's wrap of Go's net.Listen error, e.g. "… listen tcp 10.0.0.1:2377: bind: address already in use". */
export function remoteApiListenError(addr: string, err: Error): string {
  const text = GO_ERRNO_TEXT[(err as NodeJS.ErrnoException).code ?? ''];
  return `failed to listen on remote API address: ${text === undefined ? err.message : `listen tcp ${addr}: bind: ${text}`}`;
}
