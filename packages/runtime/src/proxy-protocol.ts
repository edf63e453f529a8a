// PROXY protocol v2 (haproxy's proxy-protocol.txt §2.2): the binary header an
// ingress proxy may put in front of a forwarded connection to say who the real
// client was. Pure functions, no sockets; whoami peels the header off with them.
import { isIPv4, isIPv6 } from 'node:net';

export const PROXY_V2_SIGNATURE = Buffer.from([0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a]);
const FIXED_LENGTH = 16;

export interface ProxyAddress {
  address: string;
  port: number;
}

export type ProxyTransport = 'tcp4' | 'tcp6' | 'udp4' | 'udp6' | 'unix' | 'unspec';

export interface ProxyHeader {
  /** 'local': a health check from the proxy itself; addresses are absent. */
  command: 'local' | 'proxy';
  transport: ProxyTransport;
  source?: ProxyAddress;
  destination?: ProxyAddress;
}

export type ProxyParseResult =
  /** The bytes cannot start a PROXY v2 header: treat the connection as plain. */
  | { kind: 'none' }
  /** A prefix of a header (or of the signature): read more bytes. */
  | { kind: 'incomplete' }
  | { kind: 'invalid'; reason: string }
  /** `length` bytes at the front are the header; the payload follows. */
  | { kind: 'header'; header: ProxyHeader; length: number };

export function parseProxyV2(buf: Uint8Array): ProxyParseResult {
  const sigBytes = Math.min(buf.length, PROXY_V2_SIGNATURE.length);
  for (let i = 0; i < sigBytes; i++) if (buf[i] !== PROXY_V2_SIGNATURE[i]) return { kind: 'none' };
  if (buf.length < FIXED_LENGTH) return { kind: 'incomplete' };
  const verCmd = buf[12] ?? 0;
  const famProto = buf[13] ?? 0;
  const length = ((buf[14] ?? 0) << 8) | (buf[15] ?? 0);
  if (verCmd >> 4 !== 2) return { kind: 'invalid', reason: `unsupported version ${verCmd >> 4}` };
  const cmd = verCmd & 0x0f;
  if (cmd > 1) return { kind: 'invalid', reason: `unknown command ${cmd}` };
  const transport = transportOf(famProto);
  if (transport === null) return { kind: 'invalid', reason: `unknown family/protocol 0x${famProto.toString(16)}` };
  const total = FIXED_LENGTH + length;
  if (buf.length < total) return { kind: 'incomplete' };
  const body = buf.subarray(FIXED_LENGTH, total);
  const command = cmd === 0 ? 'local' : 'proxy';
  // LOCAL connections and unspecified or unix families carry no usable address.
  if (command === 'local' || transport === 'unspec' || transport === 'unix') {
    return { kind: 'header', header: { command, transport }, length: total };
  }
  const addresses = readAddresses(body, transport.endsWith('6') ? 16 : 4);
  if (!addresses) return { kind: 'invalid', reason: `address block too short (${length} bytes)` };
  return { kind: 'header', header: { command, transport, ...addresses }, length: total };
}

function transportOf(famProto: number): ProxyTransport | null {
  switch (famProto) {
    case 0x00:
      return 'unspec';
    case 0x11:
      return 'tcp4';
    case 0x12:
      return 'udp4';
    case 0x21:
      return 'tcp6';
    case 0x22:
      return 'udp6';
    case 0x31:
    case 0x32:
      return 'unix';
    default:
      return null;
  }
}

function readAddresses(body: Uint8Array, size: 4 | 16): { source: ProxyAddress; destination: ProxyAddress } | null {
  if (body.length < size * 2 + 4) return null;
  const format = size === 4 ? formatIPv4 : formatIPv6;
  const portAt = size * 2;
  return {
    source: { address: format(body.subarray(0, size)), port: readU16(body, portAt) },
    destination: { address: format(body.subarray(size, portAt)), port: readU16(body, portAt + 2) },
  };
}

function readU16(b: Uint8Array, at: number): number {
  return ((b[at] ?? 0) << 8) | (b[at + 1] ?? 0);
}

function formatIPv4(b: Uint8Array): string {
  return Array.from(b).join('.');
}

/** RFC 5952 text: lowercase, no leading zeros, the longest run of ≥2 zero groups as "::". */
export function formatIPv6(b: Uint8Array): string {
  const groups: number[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(readU16(b, i));
  let bestAt = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen) [bestAt, bestLen] = [i, j - i];
    i = j;
  }
  const hex = (gs: number[]): string => gs.map((g) => g.toString(16)).join(':');
  if (bestAt < 0) return hex(groups);
  return `${hex(groups.slice(0, bestAt))}::${hex(groups.slice(bestAt + bestLen))}`;
}

/** Builds a PROXY v2 header for a TCP connection (the ingress side; also used by tests). */
export function encodeProxyV2(source: ProxyAddress, destination: ProxyAddress): Buffer {
  const v6 = isIPv6(source.address);
  if (v6 !== isIPv6(destination.address)) throw new Error('source and destination must be the same IP family');
  const addr = v6 ? ipv6Bytes : ipv4Bytes;
  const body = Buffer.concat([addr(source.address), addr(destination.address), Buffer.alloc(4)]);
  body.writeUInt16BE(source.port, body.length - 4);
  body.writeUInt16BE(destination.port, body.length - 2);
  const fixed = Buffer.from([0x21, v6 ? 0x21 : 0x11, 0, 0]);
  fixed.writeUInt16BE(body.length, 2);
  return Buffer.concat([PROXY_V2_SIGNATURE, fixed, body]);
}

function ipv4Bytes(address: string): Buffer {
  if (!isIPv4(address)) throw new Error(`not an IPv4 address: ${address}`);
  return Buffer.from(address.split('.').map(Number));
}

function ipv6Bytes(address: string): Buffer {
  let text = address;
  const out = Buffer.alloc(16);
  // An embedded IPv4 tail (::ffff:1.2.3.4) becomes the last two groups.
  const v4 = text.match(/(\d+\.\d+\.\d+\.\d+)$/)?.[1];
  if (v4) {
    const b = ipv4Bytes(v4);
    text = `${text.slice(0, -v4.length)}${b.readUInt16BE(0).toString(16)}:${b.readUInt16BE(2).toString(16)}`;
  }
  const [head = '', tail] = text.split('::');
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const groups = [...h, ...Array<string>(8 - h.length - t.length).fill('0'), ...t];
  groups.forEach((g, i) => out.writeUInt16BE(parseInt(g, 16), i * 2));
  return out;
}
