import { BlockList, isIP } from 'node:net';

/** Longer text is no address (the longest IPv6 form with a zone id fits well within it). */
const MAX_ADDRESS = 64;
/** `::ffff:a.b.c.d` or its hex form, after the URL parser has canonicalised it (`::ffff:a01:203`). */
const MAPPED = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/;

type Family = 'ipv4' | 'ipv6';

/** The address itself (brackets and a zone id dropped) and its family, or undefined. */
function address(text: string): { ip: string; family: Family } | undefined {
  if (typeof text !== 'string' || text.length > MAX_ADDRESS) return undefined;
  const ip = text.replace(/^\[|\]$/g, '').replace(/%.*$/, '');
  const v = isIP(ip);
  if (v === 0) return undefined;
  return { ip, family: v === 4 ? 'ipv4' : 'ipv6' };
}

/**
 * An address in one canonical text, or undefined if it is not one: IPv4 and IPv4-mapped IPv6 both as
 * dotted IPv4 (`::ffff:1.2.3.4` → `1.2.3.4`), other IPv6 compressed and lower-case (the WHATWG URL
 * host form). Brackets and zone ids are dropped.
 */
export function parseAddress(text: string): string | undefined {
  const a = address(text);
  if (!a) return undefined;
  if (a.family === 'ipv4') return a.ip;
  const host = new URL(`http://[${a.ip}]`).hostname.slice(1, -1);
  const m = MAPPED.exec(host);
  if (!m) return host;
  const n = (Number.parseInt(m[1]!, 16) << 16) | Number.parseInt(m[2]!, 16);
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

/**
 * Matches addresses against a fixed list of CIDRs (config.trustedCidrs); build once per config.
 * node:net's BlockList compares across families the way we need: an IPv4 rule matches the same
 * address written IPv4-mapped (`::ffff:10.1.1.1`), and an IPv6 rule covering `::ffff:0:0/96` matches
 * plain IPv4. Entries that are not a CIDR (the config schema refuses them) are skipped.
 */
export class CidrMatcher {
  private readonly list = new BlockList();
  private readonly count: number;

  constructor(cidrs: readonly string[]) {
    let count = 0;
    for (const cidr of cidrs) if (this.add(cidr)) count++;
    this.count = count;
  }

  get empty(): boolean {
    return this.count === 0;
  }

  /** true/false for an address, undefined when the text is not an IP address. */
  contains(ip: string): boolean | undefined {
    const a = address(ip);
    return a && this.list.check(a.ip, a.family);
  }

  private add(cidr: string): boolean {
    const [base = '', bits, ...rest] = cidr.split('/');
    const a = address(base);
    if (!a || rest.length || bits === undefined || !/^\d{1,3}$/.test(bits)) return false;
    const prefix = Number(bits);
    if (prefix > (a.family === 'ipv4' ? 32 : 128)) return false;
    this.list.addSubnet(a.ip, prefix, a.family);
    return true;
  }
}
