import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { describeError } from '#shared/errors';
import { parseConfig } from '#shared/model/config';
import { CidrMatcher, parseAddress } from '#shared/session/network';

/**
 * The hand-written matcher that node:net's BlockList replaced, kept here as the oracle: the new one
 * must answer like it for every address and every CIDR the configuration accepts.
 */
const V4_MAPPED = 0xffffn << 32n;
const ALL = (1n << 128n) - 1n;

function isIpv4(s: string): boolean {
  const p = s.split('.');
  return p.length === 4 && p.every((x) => /^\d{1,3}$/.test(x) && Number(x) <= 255);
}

function parseIpv6(s: string): number[] | undefined {
  let text = s;
  const v4 = text.slice(text.lastIndexOf(':') + 1);
  if (v4.includes('.')) {
    if (!isIpv4(v4)) return undefined;
    const o = v4.split('.').map(Number);
    const hex = (a: number, b: number) => ((a << 8) | b).toString(16);
    text = `${text.slice(0, -v4.length)}${hex(o[0]!, o[1]!)}:${hex(o[2]!, o[3]!)}`;
  }
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  const parse = (h: string) => (h === '' ? [] : h.split(':'));
  const head = parse(halves[0] ?? '');
  const rest = halves.length === 2 ? parse(halves[1] ?? '') : [];
  if (![...head, ...rest].every((g) => /^[0-9a-fA-F]{1,4}$/.test(g))) return undefined;
  const fill = 8 - head.length - rest.length;
  if (halves.length === 1 ? fill !== 0 : fill < 1) return undefined;
  return [
    ...head.map((g) => Number.parseInt(g, 16)),
    ...Array<number>(halves.length === 2 ? fill : 0).fill(0),
    ...rest.map((g) => Number.parseInt(g, 16)),
  ];
}

function oldParseAddress(text: string): bigint | undefined {
  if (text.length > 64) return undefined;
  const s = text.replace(/^\[|\]$/g, '').replace(/%.*$/, '');
  if (isIpv4(s)) return V4_MAPPED | s.split('.').reduce((acc, o) => (acc << 8n) | BigInt(Number(o)), 0n);
  if (!s.includes(':')) return undefined;
  const groups = parseIpv6(s);
  if (!groups) return undefined;
  return groups.reduce((acc, g) => (acc << 16n) | BigInt(g), 0n);
}

class OldCidrMatcher {
  private readonly ranges: { base: bigint; mask: bigint }[] = [];
  constructor(cidrs: readonly string[]) {
    for (const cidr of cidrs) {
      const [addr = '', bitsText = ''] = cidr.split('/');
      const base = oldParseAddress(addr);
      if (base === undefined) continue;
      const bits = Number(bitsText) + (isIpv4(addr) ? 96 : 0);
      const mask = bits === 0 ? 0n : (ALL << BigInt(128 - bits)) & ALL;
      this.ranges.push({ base: base & mask, mask });
    }
  }
  get empty(): boolean {
    return this.ranges.length === 0;
  }
  contains(ip: string): boolean | undefined {
    const a = oldParseAddress(ip);
    if (a === undefined) return undefined;
    return this.ranges.some((r) => (a & r.mask) === r.base);
  }
}

/** IPv4 addresses from a small space, so CIDRs and addresses often meet. */
const v4 = fc
  .tuple(
    fc.constantFrom(0, 10, 172, 192, 203, 255),
    fc.constantFrom(0, 1, 16, 31, 168, 255),
    fc.integer({ min: 0, max: 255 }),
    fc.integer({ min: 0, max: 255 }),
  )
  .map((o) => o.join('.'));

/** IPv6 addresses likewise: a few prefixes, random low groups, full or `::`-compressed. */
const v6 = fc
  .tuple(
    fc.constantFrom('2001:db8', '2001:db8:1', 'fe80:0', '0:0', 'ffff:ffff'),
    fc.array(fc.integer({ min: 0, max: 0xffff }), { maxLength: 6 }),
  )
  .map(([head, groups]) => {
    const room = 8 - head.split(':').length;
    const tail = groups.slice(0, room).map((g) => g.toString(16));
    return tail.length === room ? [head, ...tail].join(':') : `${head}::${tail.join(':')}`;
  });

const address = fc.oneof(
  v4,
  v6,
  fc.ipV6(),
  v4.map((a) => `::ffff:${a}`),
  v4.map((a) => `0:0:0:0:0:FFFF:${a}`),
  v6.map((a) => `[${a}]`),
  v6.map((a) => `${a}%eth0`),
);

const notAddress = fc.oneof(
  fc.string({ maxLength: 20 }),
  fc.constantFrom(
    'ssm.amazonaws.com',
    'AWS Internal',
    '999.1.1.1',
    '1.2.3',
    '1::2::3',
    '',
    ':::',
    '1.2.3.4.5',
  ),
);

/** CIDRs as the configuration accepts them (z.cidrv4 / z.cidrv6). */
const cidr = fc.oneof(
  fc.tuple(v4, fc.integer({ min: 0, max: 32 })).map(([a, n]) => `${a}/${n}`),
  fc.tuple(v6, fc.integer({ min: 0, max: 128 })).map(([a, n]) => `${a}/${n}`),
  fc.tuple(fc.ipV6(), fc.integer({ min: 0, max: 128 })).map(([a, n]) => `${a}/${n}`),
  fc.tuple(v4, fc.integer({ min: 96, max: 128 })).map(([a, n]) => `::ffff:${a}/${n}`),
);

describe('CidrMatcher (node:net BlockList) answers like the hand-written matcher it replaced', () => {
  it('on random addresses, non-addresses and CIDRs the configuration accepts', () => {
    fc.assert(
      fc.property(fc.array(cidr, { maxLength: 6 }), fc.array(fc.oneof(address, notAddress)), (cidrs, ips) => {
        expect(parseConfig({ trustedCidrs: cidrs }).trustedCidrs).toEqual(cidrs);
        const now = new CidrMatcher(cidrs);
        const before = new OldCidrMatcher(cidrs);
        expect(now.empty).toBe(before.empty);
        for (const ip of ips)
          expect(now.contains(ip), `${ip} in ${cidrs.join(' ')}`).toBe(before.contains(ip));
      }),
      { numRuns: 2000 },
    );
  });

  it('reads IPv4 and IPv4-mapped IPv6 as the same address', () => {
    fc.assert(
      fc.property(v4, (a) => {
        expect(parseAddress(`::ffff:${a}`)).toBe(a);
        expect(parseAddress(`[0:0:0:0:0:ffff:${a}]`)).toBe(a);
        expect(parseAddress(a)).toBe(a);
      }),
    );
  });

  it('parses an address exactly when the old parser did', () => {
    fc.assert(
      fc.property(fc.oneof(address, notAddress), (text) => {
        expect(parseAddress(text) !== undefined).toBe(oldParseAddress(text) !== undefined);
      }),
      { numRuns: 2000 },
    );
  });

  it('skips entries that are not CIDRs (the configuration refuses them)', () => {
    const m = new CidrMatcher([
      '10.0.0.0/33',
      'fe80::/129',
      'not-a-cidr',
      '10.0.0.0',
      '10.0.0.0/8/8',
      '10.0.0.0/x',
    ]);
    expect(m.empty).toBe(true);
    expect(m.contains('10.1.2.3')).toBe(false);
    expect(m.contains('nope')).toBeUndefined();
  });

  it('matches an IPv6 rule over the mapped range for plain IPv4, and /0 of one family only for it', () => {
    expect(new CidrMatcher(['::ffff:0:0/96']).contains('198.51.100.7')).toBe(true);
    expect(new CidrMatcher(['::/0']).contains('198.51.100.7')).toBe(true);
    expect(new CidrMatcher(['0.0.0.0/0']).contains('2001:db8::1')).toBe(false);
    expect(new CidrMatcher(['0.0.0.0/0']).contains('::ffff:198.51.100.7')).toBe(true);
  });
});

describe('trustedCidrs validation (zod CIDR formats)', () => {
  it.each([
    '10.0.0.0/33',
    '10.0.0.0',
    '010.0.0.0/8',
    '10.0.0.0/08',
    'fe80::1%eth0/64',
    '[::1]/128',
    '::/129',
    '',
  ])('refuses %j naming the key and index, never the value', (value) => {
    expect(() => parseConfig({ trustedCidrs: ['10.0.0.0/8', value] })).toThrow(
      /^config key "trustedCidrs\.1": must be an IPv4 or IPv6 CIDR such as 10\.0\.0\.0\/8$/,
    );
  });

  it('refuses a CIDR carrying a secret without quoting it', () => {
    const secret = 'AKIAQ2WX7RZLM3KD5TPV/8';
    expect(() => parseConfig({ trustedCidrs: [secret] })).toThrow(/trustedCidrs\.0/);
    try {
      parseConfig({ trustedCidrs: [secret] });
    } catch (e) {
      expect(String(e)).not.toContain('AKIA');
      expect(describeError(e)).not.toContain('AKIA');
    }
  });
});
