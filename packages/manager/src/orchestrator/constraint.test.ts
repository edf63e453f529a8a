import { describe, expect, it } from 'vitest';
import { nodeMatches, parseConstraints, validateConstraints } from './constraint';
import { makeNode } from './testing';

const parse = (...exprs: string[]) => {
  const r = parseConstraints(exprs);
  if (!r.ok) throw new Error(r.error);
  return r.constraints;
};

describe('validateConstraints (swarmkit constraint.Parse texts)', () => {
  it('accepts both operators with spaces around them', () => {
    expect(validateConstraints(['node.role == manager', 'node.labels.zone!=eu-1', 'node.hostname==web*'])).toBeNull();
    expect(validateConstraints([])).toBeNull();
  });

  it('requires an operator', () => {
    expect(validateConstraints(['node.role=manager'])).toBe('constraint expected one operator from ==, !=');
    expect(validateConstraints(['node.role>manager'])).toBe('constraint expected one operator from ==, !=');
  });

  it('rejects bad keys and values with the offending part', () => {
    expect(validateConstraints(['==manager'])).toBe("key '' is invalid");
    expect(validateConstraints(['1node==x'])).toBe("key '1node' is invalid");
    expect(validateConstraints(['node.role!==manager'])).toBe("key 'node.role!' is invalid");
    expect(validateConstraints(['node.role=='])).toBe("value '' is invalid");
    expect(validateConstraints(['node.role==a<b'])).toBe("value 'a<b' is invalid");
  });

  it('reports the first bad expression', () => {
    expect(validateConstraints(['node.role==manager', 'x'])).toBe('constraint expected one operator from ==, !=');
  });
});

describe('nodeMatches', () => {
  const node = makeNode('n1', { role: 'manager', hostname: 'Web-1', labels: { zone: 'eu-1', Disk: 'ssd' }, addr: '192.168.1.10' });

  it('matches node fields case-insensitively', () => {
    expect(nodeMatches(parse('node.role==manager'), node)).toBe(true);
    expect(nodeMatches(parse('node.role==worker'), node)).toBe(false);
    expect(nodeMatches(parse('node.role!=worker'), node)).toBe(true);
    expect(nodeMatches(parse('node.hostname==web-1'), node)).toBe(true);
    expect(nodeMatches(parse('node.id==n1'), node)).toBe(true);
    expect(nodeMatches(parse('Node.Platform.OS==Linux', 'node.platform.arch==x86_64'), node)).toBe(true);
  });

  it('matches labels with a case-sensitive name; a missing label is ""', () => {
    expect(nodeMatches(parse('node.labels.zone==eu-1'), node)).toBe(true);
    expect(nodeMatches(parse('node.labels.Disk==SSD'), node)).toBe(true);
    expect(nodeMatches(parse('node.labels.disk==ssd'), node)).toBe(false);
    expect(nodeMatches(parse('node.labels.rack!=r1'), node)).toBe(true);
    expect(nodeMatches(parse('engine.labels.x==y'), node)).toBe(false);
    expect(nodeMatches(parse('engine.labels.x!=y'), node)).toBe(true);
  });

  it('matches node.ip against an address or a subnet', () => {
    expect(nodeMatches(parse('node.ip==192.168.1.10'), node)).toBe(true);
    expect(nodeMatches(parse('node.ip!=192.168.1.10'), node)).toBe(false);
    expect(nodeMatches(parse('node.ip==192.168.1.0/24'), node)).toBe(true);
    expect(nodeMatches(parse('node.ip!=10.0.0.0/8'), node)).toBe(true);
    expect(nodeMatches(parse('node.ip==not-an-ip'), node)).toBe(false);
    expect(nodeMatches(parse('node.ip!=not-an-ip'), node)).toBe(false);
  });

  it('never matches an unknown key', () => {
    expect(nodeMatches(parse('node.colour==red'), node)).toBe(false);
    expect(nodeMatches(parse('node.colour!=red'), node)).toBe(false);
  });
});
