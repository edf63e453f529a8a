// One error class per condition, each with a stable `code`. Cores return rejections; shells throw these.

export class GossipError extends Error {
  constructor(
    readonly code: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = new.target.name;
  }
}

export class GossipConfigError extends GossipError {
  constructor(message: string) {
    super('GOSSIP_CONFIG', message);
  }
}

export class GossipDecodeError extends GossipError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('GOSSIP_DECODE', message, options);
  }
}

export class KeyringError extends GossipError {
  constructor(message: string) {
    super('GOSSIP_KEYRING', message);
  }
}

export class FrameTooLargeError extends GossipError {
  constructor(
    readonly size: number,
    readonly limit: number,
  ) {
    super('GOSSIP_FRAME_TOO_LARGE', `stream frame of ${size} bytes exceeds the ${limit}-byte limit`);
  }
}

export class JoinError extends GossipError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('GOSSIP_JOIN_FAILED', message, options);
  }
}

export class GossipStateError extends GossipError {
  constructor(message: string) {
    super('GOSSIP_STATE', message);
  }
}

export class TableError extends GossipError {
  constructor(message: string) {
    super('GOSSIP_TABLE', message);
  }
}
