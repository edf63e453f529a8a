import { describe, expect, it } from 'vitest';
import {
  parseFloat32,
  parseNanoCpus,
  parseNetworkAttachment,
  parsePlacementPref,
  parsePublish,
  parseRamInBytes,
  parseUint64,
  readCsvRecord,
  shlexSplit,
  validateEnv,
  validateLabel,
} from './service-parse';

const port = (published: number, target: number, protocol = 'tcp', mode = 'ingress') => ({
  Protocol: protocol,
  TargetPort: target,
  PublishedPort: published,
  PublishMode: mode,
});

// Cases from docker/cli opts/swarmopts/port_test.go.
describe('--publish', () => {
  it('parses the short syntax: published:target[/proto], ranges', () => {
    expect(parsePublish('80')).toEqual([port(0, 80)]);
    expect(parsePublish('80:8080')).toEqual([port(80, 8080)]);
    expect(parsePublish('8080:80/tcp')).toEqual([port(8080, 80)]);
    expect(parsePublish('80:8080/udp')).toEqual([port(80, 8080, 'udp')]);
    expect(parsePublish('80-81:8080-8081/tcp')).toEqual([port(80, 8080), port(81, 8081)]);
    expect(parsePublish('80-82:8080/udp')).toEqual([port(80, 8080, 'udp'), port(81, 8080, 'udp'), port(82, 8080, 'udp')]);
    expect(parsePublish('80-80:8080/tcp')).toEqual([port(80, 8080)]);
    expect(parsePublish('8080:80/SCTP')).toEqual([port(8080, 80, 'sctp')]);
  });

  it('parses the long syntax', () => {
    expect(parsePublish('target=80')).toEqual([port(0, 80)]);
    expect(parsePublish('target=80,protocol=tcp')).toEqual([port(0, 80)]);
    expect(parsePublish('published=80,target=8080,protocol=tcp')).toEqual([port(80, 8080)]);
    expect(parsePublish('target=80,published=8080,protocol=tcp,mode=host')).toEqual([port(8080, 80, 'tcp', 'host')]);
    expect(parsePublish('target=80,published=8080,mode=ingress')).toEqual([port(8080, 80)]);
    expect(parsePublish('Target=80,Published=8080,Mode=HOST')).toEqual([port(8080, 80, 'tcp', 'host')]);
  });

  it("rejects bad long-syntax values with docker's texts", () => {
    const cases: Array<[string, string]> = [
      ['invalid,target=80', 'invalid field: invalid'],
      ['invalid=field', 'invalid field key: invalid'],
      ['protocol=invalid', "invalid protocol value 'invalid'"],
      ['target=invalid', 'invalid target port (invalid): value must be an integer: invalid syntax'],
      ['target=99999', 'invalid target port (99999): value must be an integer: value out of range'],
      ['published=invalid', 'invalid published port (invalid): value must be an integer: invalid syntax'],
      ['mode=invalid', "invalid publish mode value (invalid): must be either 'ingress' or 'host'"],
      ['published=8080,protocol=tcp,mode=ingress', "missing mandatory field 'target'"],
      ['target=80,protocol="tcp,mode=ingress"', 'parse error on line 1, column 20: bare " in non-quoted-field'],
      ['target=80,"protocol=tcp,mode=ingress"', "invalid protocol value 'tcp,mode=ingress'"],
    ];
    for (const [value, message] of cases) expect(() => parsePublish(value), value).toThrow(message);
  });

  it("rejects bad short-syntax values with docker's texts", () => {
    const cases: Array<[string, string]> = [
      ['9999999', 'invalid containerPort: 9999999'],
      ['80/xyz', 'invalid proto: xyz'],
      ['tcp', 'invalid containerPort: tcp'],
      ['udp', 'invalid containerPort: udp'],
      ['', 'invalid proto: '],
      ['1.1.1.1:80:80', 'hostip is not supported'],
      ['abc:80', 'invalid hostPort: abc'],
      ['foo:80:80', 'invalid IP address: foo'],
      ['8080:80-81', 'invalid ranges specified for container and host Ports: 80-81 and 8080'],
    ];
    for (const [value, message] of cases) expect(() => parsePublish(value), value).toThrow(message);
  });
});

describe('other service flag values', () => {
  it('parses uints like strconv.ParseUint(s, 0, 64)', () => {
    expect(parseUint64('3')).toBe(3);
    expect(parseUint64('0x10')).toBe(16);
    expect(() => parseUint64('x')).toThrow('strconv.ParseUint: parsing "x": invalid syntax');
    expect(() => parseUint64('-1')).toThrow('strconv.ParseUint: parsing "-1": invalid syntax');
  });

  it('parses CPUs, memory sizes and ratios', () => {
    expect(parseNanoCpus('1.5')).toBe(1.5e9);
    expect(parseNanoCpus('3/2')).toBe(1.5e9);
    expect(() => parseNanoCpus('x')).toThrow('failed to parse x as a rational number');
    expect(() => parseNanoCpus('0.0000000001')).toThrow('value is too precise');
    expect(parseRamInBytes('512m')).toBe(512 * 1024 * 1024);
    expect(parseRamInBytes('1.5GiB')).toBe(1.5 * 1024 ** 3);
    expect(parseRamInBytes('2048')).toBe(2048);
    expect(() => parseRamInBytes('abc')).toThrow("invalid size: 'abc'");
    expect(() => parseRamInBytes('10x')).toThrow("invalid suffix: 'x'");
    expect(parseFloat32('0.5')).toBe(0.5);
    expect(() => parseFloat32('half')).toThrow('strconv.ParseFloat: parsing "half": invalid syntax');
  });

  it('validates labels and environment variables', () => {
    expect(validateLabel('a=b')).toBe('a=b');
    expect(() => validateLabel('=b')).toThrow("invalid label '=b': empty name");
    expect(() => validateLabel('a b=c')).toThrow("label 'a b' contains whitespaces");
    expect(() => validateEnv('=x')).toThrow('invalid environment variable: =x');
  });

  it('splits commands like a shell', () => {
    expect(shlexSplit(`sh -c "echo 'hi there'" x\\ y`)).toEqual(['sh', '-c', "echo 'hi there'", 'x y']);
    expect(shlexSplit('')).toEqual([]);
    expect(() => shlexSplit('"open')).toThrow('EOF found when expecting closing quote');
  });

  it('reads csv records', () => {
    expect(readCsvRecord('a,"b,c",d')).toEqual(['a', 'b,c', 'd']);
    expect(readCsvRecord('a,"say ""hi"""')).toEqual(['a', 'say "hi"']);
  });

  it('parses networks and placement preferences', () => {
    expect(parseNetworkAttachment('backend')).toEqual({ Target: 'backend' });
    expect(parseNetworkAttachment('name=backend,alias=db')).toEqual({ Target: 'backend', Aliases: ['db'] });
    expect(() => parseNetworkAttachment('alias=db')).toThrow('network name/id is not specified');
    expect(parsePlacementPref('spread=node.labels.zone')).toEqual({ Spread: { SpreadDescriptor: 'node.labels.zone' } });
    expect(() => parsePlacementPref('pack=x')).toThrow('unsupported placement preference pack (only spread is supported)');
    expect(() => parsePlacementPref('spread')).toThrow('placement preference must be of the format "<strategy>=<arg>"');
  });
});
