// PROXY protocol v2 encoder (haproxy's proxy-protocol.txt §2.2): the header the ingress proxy
// puts in front of a forwarded connection so the task sees the real client address. Pure.
import { isIPv4, isIPv6 } from 'node:net';

export interface ProxyV2Address {
  readonly address: string;
  readonly port: number;
}

const SIGNATURE = [0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a];
const VERSION_2_PROXY = 0x21;
const TCP_OVER_IPV4 = 0x11;
const TCP_OVER_IPV6 = 0x21;

/**
 * The v2 header for a TCP connection from `source` (the client) to `destination` (the published
 * port it reached). IPv4-mapped IPv6 addresses (`::ffff:a.b.c.d`, what a dual-stack listener
 * reports) are sent as IPv4; a mixed pair is sent as IPv6.
 */
export function encodeProxyV2Header(source: ProxyV2Address, destination: ProxyV2Address): Buffer {
  const src = unmapIPv4(source.address);
  const dst = unmapIPv4(destination.address);
  checkPort(source.port);
  checkPort(destination.port);
  const v4 = isIPv4(src) && isIPv4(dst);
  const size = v4 ? 4 : 16;
  const out = Buffer.alloc(16 + size * 2 + 4);
  out.set(SIGNATURE, 0);
  out[12] = VERSION_2_PROXY;
  out[13] = v4 ? TCP_OVER_IPV4 : TCP_OVER_IPV6;
  out.writeUInt16BE(size * 2 + 4, 14);
  const write = v4 ? writeIPv4 : writeIPv6;
  write(out, 16, src);
  write(out, 16 + size, dst);
  out.writeUInt16BE(source.port, 16 + size * 2);
  out.writeUInt16BE(destination.port, 18 + size * 2);
  return out;
}

function checkPort(port: number): void {
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new RangeError(`not a TCP port: ${port}`);
}

function unmapIPv4(address: string): string {
  const m = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  return m?.[1] ?? address;
}

function writeIPv4(out: Buffer, at: number, address: string): void {
  if (!isIPv4(address)) throw new RangeError(`not an IPv4 address: ${address}`);
  address.split('.').forEach((octet, i) => (out[at + i] = Number(octet)));
}

/** Writes 16 bytes: `::` expansion, an embedded IPv4 tail, and a zone suffix (dropped). */
function writeIPv6(out: Buffer, at: number, address: string): void {
  let text = address.split('%')[0] ?? '';
  if (isIPv4(text)) text = `::ffff:${text}`;
  if (!isIPv6(text)) throw new RangeError(`not an IP address: ${address}`);
  const tail = /(\d+\.\d+\.\d+\.\d+)$/.exec(text)?.[1];
  if (tail) {
    const [a = 0, b = 0, c = 0, d = 0] = tail.split('.').map(Number);
    text = `${text.slice(0, -tail.length)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head = '', rest] = text.split('::');
  const h = head === '' ? [] : head.split(':');
  const t = rest === undefined || rest === '' ? [] : rest.split(':');
  const groups = rest === undefined ? h : [...h, ...Array<string>(8 - h.length - t.length).fill('0'), ...t];
  groups.forEach((g, i) => out.writeUInt16BE(parseInt(g, 16), at + i * 2));
}
