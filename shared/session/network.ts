import { isIpv4, parseIpv6 } from '../model/config';

/** An address as 128 bits (IPv4 as IPv4-mapped IPv6), so one comparison serves both families. */
type Addr = bigint;
interface Range {
  base: Addr;
  mask: Addr;
}

const V4_MAPPED = 0xffffn << 32n;
const ALL = (1n << 128n) - 1n;

/** Parse an IPv4 or IPv6 address (zone ids and brackets dropped); undefined if it is not one. */
export function parseAddress(text: string): Addr | undefined {
  if (text.length > 64) return undefined;
  const s = text.replace(/^\[|\]$/g, '').replace(/%.*$/, '');
  if (isIpv4(s)) return V4_MAPPED | v4(s);
  if (!s.includes(':')) return undefined;
  const groups = parseIpv6(s);
  if (!groups) return undefined;
  return groups.reduce((acc, g) => (acc << 16n) | BigInt(g), 0n);
}

function v4(s: string): bigint {
  return s.split('.').reduce((acc, o) => (acc << 8n) | BigInt(Number(o)), 0n);
}

function parseRange(cidr: string): Range | undefined {
  const [addr = '', bitsText = ''] = cidr.split('/');
  const base = parseAddress(addr);
  if (base === undefined) return undefined;
  // IPv4 prefix lengths count within the mapped /96.
  const bits = Number(bitsText) + (isIpv4(addr) ? 96 : 0);
  const mask = bits === 0 ? 0n : (ALL << BigInt(128 - bits)) & ALL;
  return { base: base & mask, mask };
}

/** Matches addresses against a fixed list of CIDRs (config.trustedCidrs); build once per config. */
export class CidrMatcher {
  private readonly ranges: Range[];
  constructor(cidrs: readonly string[]) {
    this.ranges = cidrs.map(parseRange).filter((r): r is Range => r !== undefined);
  }
  get empty(): boolean {
    return this.ranges.length === 0;
  }
  /** true/false for an address, undefined when the text is not an IP address. */
  contains(ip: string): boolean | undefined {
    const a = parseAddress(ip);
    if (a === undefined) return undefined;
    return this.ranges.some((r) => (a & r.mask) === r.base);
  }
}
