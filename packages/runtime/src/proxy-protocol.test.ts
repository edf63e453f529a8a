import { describe, expect, it } from 'vitest';
import { encodeProxyV2, formatIPv6, parseProxyV2, PROXY_V2_SIGNATURE } from './proxy-protocol';

const v4 = encodeProxyV2({ address: '203.0.113.7', port: 40000 }, { address: '10.0.0.2', port: 8080 });

describe('parseProxyV2', () => {
  it('parses a TCP over IPv4 header and says where the payload starts', () => {
    const buf = Buffer.concat([v4, Buffer.from('GET / HTTP/1.1\r\n')]);
    expect(parseProxyV2(buf)).toEqual({
      kind: 'header',
      length: 28,
      header: {
        command: 'proxy',
        transport: 'tcp4',
        source: { address: '203.0.113.7', port: 40000 },
        destination: { address: '10.0.0.2', port: 8080 },
      },
    });
  });

  it('parses a TCP over IPv6 header', () => {
    const h = encodeProxyV2({ address: '2001:db8::1', port: 5555 }, { address: '::ffff:10.0.0.2', port: 80 });
    expect(h.length).toBe(16 + 36);
    const parsed = parseProxyV2(h);
    expect(parsed).toMatchObject({
      kind: 'header',
      length: 52,
      header: {
        transport: 'tcp6',
        source: { address: '2001:db8::1', port: 5555 },
        destination: { address: '::ffff:a00:2', port: 80 },
      },
    });
  });

  it('says "none" for a plain connection as soon as a byte differs', () => {
    expect(parseProxyV2(Buffer.from('G'))).toEqual({ kind: 'none' });
    expect(parseProxyV2(Buffer.from('GET / HTTP/1.1\r\n'))).toEqual({ kind: 'none' });
    expect(parseProxyV2(Buffer.from('\r\n\r\nX'))).toEqual({ kind: 'none' });
  });

  it('asks for more bytes on any prefix of a header', () => {
    expect(parseProxyV2(Buffer.alloc(0))).toEqual({ kind: 'incomplete' });
    for (const n of [1, 5, 12, 15, 16, 27]) expect(parseProxyV2(v4.subarray(0, n))).toEqual({ kind: 'incomplete' });
  });

  it('skips TLVs after the addresses', () => {
    const tlv = Buffer.from([0x04, 0x00, 0x02, 0xab, 0xcd]); // PP2_TYPE_NOOP
    const h = Buffer.concat([v4, tlv]);
    h.writeUInt16BE(12 + tlv.length, 14);
    expect(parseProxyV2(h)).toMatchObject({ kind: 'header', length: 33, header: { source: { port: 40000 } } });
  });

  it('accepts LOCAL (a proxy health check) without addresses', () => {
    const h = Buffer.concat([PROXY_V2_SIGNATURE, Buffer.from([0x20, 0x00, 0x00, 0x00])]);
    expect(parseProxyV2(h)).toEqual({ kind: 'header', length: 16, header: { command: 'local', transport: 'unspec' } });
  });

  it('rejects a wrong version, command, family or a short address block', () => {
    const bad = (b12: number, b13: number, len = 12): Buffer => {
      const h = Buffer.concat([PROXY_V2_SIGNATURE, Buffer.from([b12, b13, 0, len]), Buffer.alloc(len)]);
      return h;
    };
    expect(parseProxyV2(bad(0x11, 0x11))).toMatchObject({ kind: 'invalid', reason: 'unsupported version 1' });
    expect(parseProxyV2(bad(0x22, 0x11))).toMatchObject({ kind: 'invalid', reason: 'unknown command 2' });
    expect(parseProxyV2(bad(0x21, 0x41))).toMatchObject({ kind: 'invalid' });
    expect(parseProxyV2(bad(0x21, 0x11, 4))).toMatchObject({ kind: 'invalid', reason: expect.stringMatching(/short/) });
  });
});

describe('formatIPv6', () => {
  it('writes RFC 5952 text', () => {
    const b = (groups: number[]): Buffer => {
      const out = Buffer.alloc(16);
      groups.forEach((g, i) => out.writeUInt16BE(g, i * 2));
      return out;
    };
    expect(formatIPv6(b([0, 0, 0, 0, 0, 0, 0, 1]))).toBe('::1');
    expect(formatIPv6(b([0, 0, 0, 0, 0, 0, 0, 0]))).toBe('::');
    expect(formatIPv6(b([0x2001, 0xdb8, 0, 0, 1, 0, 0, 1]))).toBe('2001:db8::1:0:0:1');
    expect(formatIPv6(b([0x2001, 0xdb8, 0, 1, 1, 1, 1, 1]))).toBe('2001:db8:0:1:1:1:1:1');
  });
});
