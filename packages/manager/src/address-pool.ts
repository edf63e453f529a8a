// The swarm's default address pool (`swarm init --default-addr-pool`, `--default-addr-pool-mask-length`)
// and the IPv4 CIDR arithmetic that overlay networks' subnets are carved with.

/** swarmkit's defaults: 10.0.0.0/8 in /24 subnets. */
export const DEFAULT_ADDR_POOL: readonly string[] = ['10.0.0.0/8'];
export const DEFAULT_SUBNET_SIZE = 24;

/** moby's validateDefaultAddrPool (daemon/cluster/listen_addr.go): the error text, or undefined. */
export function addrPoolProblem(pools: readonly string[] | undefined, subnetSize: number | undefined): string | undefined {
  if (!pools || pools.length === 0) return undefined;
  const size = subnetSize || DEFAULT_SUBNET_SIZE;
  if (size > 29) return `subnet size is out of range: ${size}`;
  for (const pool of pools) {
    const cidr = parseCidr(pool);
    if (!cidr) return `invalid CIDR: ${JSON.stringify(pool)}`;
    if (size < cidr.bits) return `invalid CIDR: ${JSON.stringify(cidr.text)}. Subnet size is too small for pool: ${size}`;
  }
  return undefined;
}

/** moby's getDataPathPort: 0 means the default; otherwise 1024–49151. */
export function dataPathPortProblem(port: number | undefined): string | undefined {
  if (!port) return undefined;
  if (!Number.isInteger(port) || port < 1024 || port > 49151) return `Datapath port number is not in valid range (1024-49151) : ${port}`;
  return undefined;
}

/** The first subnet of `size` bits in the pools (in order) that overlaps none of `taken`. */
export function allocateSubnet(pools: readonly string[], size: number, taken: readonly string[]): { subnet: string; gateway: string } | undefined {
  const used = taken.map(parseCidr).filter((c): c is Cidr => c !== null);
  for (const pool of pools) {
    const p = parseCidr(pool);
    if (!p || !Number.isInteger(size) || size < p.bits || size > 32) continue;
    const count = 2 ** (size - p.bits);
    const step = 2 ** (32 - size);
    for (let i = 0; i < count && i < 1 << 20; i++) {
      const candidate: Cidr = cidrOf(p.base + i * step, size);
      if (!used.some((u) => overlaps(u, candidate))) return { subnet: candidate.text, gateway: candidate.firstHost };
    }
  }
  return undefined;
}

export interface Cidr {
  /** Normalised: the network address, then the prefix length. */
  text: string;
  base: number;
  bits: number;
  /** The default gateway. */
  firstHost: string;
}

/** An IPv4 CIDR, normalised, with its first host (the default gateway); null if it is not one. */
export function parseCidr(text: string): Cidr | null {
  const m = /^(\d+\.\d+\.\d+\.\d+)\/(\d{1,2})$/.exec(text);
  const ip = m ? parseIpv4(m[1] as string) : null;
  const bits = Number(m?.[2]);
  if (ip === null || !(bits >= 0 && bits <= 32)) return null;
  return cidrOf(ip, bits);
}

function cidrOf(address: number, bits: number): Cidr {
  const mask = bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
  const base = (address & mask) >>> 0;
  return { text: `${ipv4Text(base)}/${bits}`, base, bits, firstHost: ipv4Text(bits >= 31 ? base : base + 1) };
}

export function parseIpv4(text: string): number | null {
  const parts = text.split('.');
  if (parts.length !== 4 || parts.some((p) => !/^\d{1,3}$/.test(p) || Number(p) > 255)) return null;
  return parts.reduce((acc, p) => acc * 256 + Number(p), 0);
}

function ipv4Text(n: number): string {
  return [24, 16, 8, 0].map((shift) => (n >>> shift) & 255).join('.');
}

export function cidrsOverlap(a: string, b: string): boolean {
  const x = parseCidr(a);
  const y = parseCidr(b);
  return x !== null && y !== null && overlaps(x, y);
}

function overlaps(x: Cidr, y: Cidr): boolean {
  const bits = Math.min(x.bits, y.bits);
  const mask = bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
  return ((x.base & mask) >>> 0) === ((y.base & mask) >>> 0);
}
