// One error class per condition, each with a stable `code`. The load-balancer core returns
// `undefined` for "nothing to pick"; the shells throw (or reject with) these.

export class MeshError extends Error {
  constructor(
    readonly code: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = new.target.name;
  }
}

export class MeshConfigError extends MeshError {
  constructor(message: string) {
    super('MESH_CONFIG', message);
  }
}

/** A frame or preface that breaks the tunnel protocol; the whole tunnel connection is closed. */
export class TunnelProtocolError extends MeshError {
  constructor(message: string) {
    super('MESH_TUNNEL_PROTOCOL', message);
  }
}

/** The peer refused to open a stream (unknown target, target unreachable, ...). */
export class TunnelOpenError extends MeshError {
  constructor(
    readonly reason: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super('MESH_TUNNEL_OPEN', message, options);
  }
}

/** The peer reset an open stream. */
export class TunnelStreamResetError extends MeshError {
  constructor(readonly reason: string) {
    super('MESH_TUNNEL_RESET', `tunnel stream reset by peer (${reason})`);
  }
}

/** The tunnel connection carrying a stream went away (or could not be established). */
export class TunnelConnectionError extends MeshError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('MESH_TUNNEL_CONNECTION', message, options);
  }
}

/** A tunnel peer presented a certificate that is valid for the CA but not the node we meant to reach. */
export class TunnelPeerIdentityError extends MeshError {
  constructor(expected: string, actual: string) {
    super('MESH_TUNNEL_PEER_IDENTITY', `tunnel peer is node ${JSON.stringify(actual)}, expected ${JSON.stringify(expected)}`);
  }
}
