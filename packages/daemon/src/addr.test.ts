import { describe, expect, it } from 'vitest';
import { checkDataPathAddr } from './addr';

describe('checkDataPathAddr', () => {
  const bad = 'data path address must be a non-zero IP address or network interface (without a port number)';

  it("takes an IP or an interface, or nothing, as moby's resolveDataPathAddr", () => {
    for (const ok of [undefined, '', '10.0.0.5', '::1', 'lo']) expect(() => checkDataPathAddr(ok)).not.toThrow();
  });

  it("refuses anything else with moby's text", () => {
    for (const input of ['bogus', '0.0.0.0', '::', '10.0.0.5:4789']) expect(() => checkDataPathAddr(input), input).toThrow(bad);
  });
});
