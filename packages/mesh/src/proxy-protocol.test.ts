import { parseProxyV2 } from '@shoal/runtime';
import { describe, expect, it } from 'vitest';
import { encodeProxyV2Header } from './proxy-protocol';

describe('encodeProxyV2Header', () => {
  it('round-trips an IPv4 connection through the runtime’s parser', () => {
    const h = encodeProxyV2Header({ address: '10.0.0.7', port: 40123 }, { address: '10.77.0.101', port: 8080 });
    expect(h.length).toBe(28);
    expect(parseProxyV2(Buffer.concat([h, Buffer.from('GET / HTTP/1.1\r\n')]))).toEqual({
      kind: 'header',
      length: 28,
      header: {
        command: 'proxy',
        transport: 'tcp4',
        source: { address: '10.0.0.7', port: 40123 },
        destination: { address: '10.77.0.101', port: 8080 },
      },
    });
  });

  it('sends IPv4-mapped IPv6 addresses (dual-stack listeners) as IPv4', () => {
    const h = encodeProxyV2Header({ address: '::ffff:127.0.0.1', port: 1 }, { address: '::FFFF:127.0.1.2', port: 2 });
    expect(parseProxyV2(h)).toMatchObject({ header: { transport: 'tcp4', source: { address: '127.0.0.1' }, destination: { address: '127.0.1.2' } } });
  });

  it('encodes IPv6, including compressed forms and a mixed pair', () => {
    const h = encodeProxyV2Header({ address: '2001:db8::1', port: 5 }, { address: 'fe80::a:b%eth0', port: 6 });
    expect(parseProxyV2(h)).toMatchObject({
      kind: 'header',
      length: 52,
      header: { transport: 'tcp6', source: { address: '2001:db8::1', port: 5 }, destination: { address: 'fe80::a:b', port: 6 } },
    });
    const mixed = encodeProxyV2Header({ address: '::1', port: 7 }, { address: '192.0.2.1', port: 8 });
    expect(parseProxyV2(mixed)).toMatchObject({ header: { transport: 'tcp6', source: { address: '::1' }, destination: { address: '::ffff:c000:201' } } });
  });

  it('refuses what is not an address or a port', () => {
    expect(() => encodeProxyV2Header({ address: 'example.com', port: 1 }, { address: '::1', port: 2 })).toThrow(RangeError);
    expect(() => encodeProxyV2Header({ address: '1.2.3.4', port: 70000 }, { address: '1.2.3.5', port: 2 })).toThrow(RangeError);
  });
});
