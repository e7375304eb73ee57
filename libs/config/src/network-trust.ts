import { BlockList, isIP } from 'node:net';

import { ConfigError } from './config.error.js';

/**
 * Which peers may speak for the client through X-Forwarded-*: none (`hops: 0`, the default), the
 * nearest `hops` hops whatever their address, or only peers inside the listed CIDRs.
 */
export type TrustProxy = { kind: 'hops'; hops: number } | { kind: 'cidrs'; cidrs: string[] };

/** A set of CIDR ranges, IPv4 and IPv6, that answers whether an address lies inside one of them. */
export interface AddressRanges {
  cidrs: string[];
  includes(address: string): boolean;
}

const MAX_HOPS = 10;

/** `a.b.c.d/n` or `ipv6/n`, nothing else (no host names, no bare addresses). */
function parseCidr(name: string, cidr: string): { address: string; prefix: number; family: 'ipv4' | 'ipv6' } {
  const match = /^([^/\s]+)\/(\d{1,3})$/.exec(cidr);
  const version = match ? isIP(match[1]!) : 0;
  const prefix = match ? Number(match[2]) : NaN;
  if (!match || version === 0 || prefix > (version === 4 ? 32 : 128)) {
    throw new ConfigError(name, `must list CIDR ranges such as 10.0.0.0/8 or fd00::/8 (got "${cidr}")`);
  }
  return { address: match[1]!, prefix, family: version === 4 ? 'ipv4' : 'ipv6' };
}

// An IPv4 client on a dual-stack socket shows as ::ffff:a.b.c.d.
function plainAddress(address: string): string {
  return address.startsWith('::ffff:') && isIP(address.slice(7)) === 4 ? address.slice(7) : address;
}

// Production's floor on how wide one range may be. 10.0.0.0/8 is the widest network a bank names on
// purpose; anything wider (0.0.0.0/0, ::/0, or halves of them) lets every client in (ADMIN_ALLOWED_CIDRS,
// METRICS_ALLOWED_CIDRS) or makes every peer a proxy whose X-Forwarded-For is believed (TRUST_PROXY).
const IPV4_FLOOR = 8;
const IPV6_FLOOR = 16;

function blockOf(address: string, prefix: number, family: 'ipv4' | 'ipv6'): BlockList {
  const list = new BlockList();
  list.addSubnet(address, prefix, family);
  return list;
}

// The unique local addresses: like 10.0.0.0/8 they never leave the site, so the whole of them is allowed.
const UNIQUE_LOCAL = blockOf('fc00::', 7, 'ipv6');
// A dual-stack socket sees an IPv4 client as ::ffff:a.b.c.d, and BlockList matches IPv4 addresses
// against a range over these: such a range is as wide as its IPv4 part.
const IPV4_MAPPED = blockOf('::ffff:0:0', 96, 'ipv6');

/** The prefix length that range would have as an IPv4 range, when it covers IPv4 clients; undefined otherwise. */
function ipv4Width(address: string, prefix: number, family: 'ipv4' | 'ipv6'): number | undefined {
  if (family === 'ipv4') return prefix;
  // CIDR blocks nest or are disjoint: one as wide as ::ffff:0:0/96 that holds its first address holds all of it.
  if (prefix <= 96) return blockOf(address, prefix, family).check('::ffff:0:0', 'ipv6') ? 0 : undefined;
  return IPV4_MAPPED.check(address, 'ipv6') ? prefix - 96 : undefined;
}

/**
 * Production refuses a range wider than an IPv4 /8 or an IPv6 /16 (fc00::/7 as a whole excepted), an
 * IPv6 range that holds IPv4-mapped addresses being judged by its IPv4 part. Names the variable and the range.
 */
export function refuseWideRanges(name: string, cidrs: readonly string[]): void {
  for (const cidr of cidrs) {
    const { address, prefix, family } = parseCidr(name, cidr);
    const asIpv4 = ipv4Width(address, prefix, family);
    const wide = asIpv4 !== undefined
      ? asIpv4 < IPV4_FLOOR
      : prefix < IPV6_FLOOR && !(prefix >= 7 && UNIQUE_LOCAL.check(address, 'ipv6'));
    if (wide) {
      throw new ConfigError(
        name,
        `range ${cidr} is wider than production mode allows: an IPv4 range may be /${IPV4_FLOOR} at widest, an IPv6 range /${IPV6_FLOOR} (fc00::/7, the unique local addresses, as a whole), an IPv4-mapped range (::ffff:a.b.c.d/n) is judged by its IPv4 part`,
      );
    }
  }
}

/** Parses a comma-separated CIDR list read from `name`. */
export function parseAddressRanges(name: string, value: string): AddressRanges {
  const cidrs = value.split(',').map((part) => part.trim()).filter(Boolean);
  if (cidrs.length === 0) throw new ConfigError(name, 'must list at least one CIDR range');
  const list = new BlockList();
  for (const cidr of cidrs) {
    const { address, prefix, family } = parseCidr(name, cidr);
    list.addSubnet(address, prefix, family);
  }
  return {
    cidrs,
    includes(address: string): boolean {
      const plain = plainAddress(address);
      const version = isIP(plain);
      return version !== 0 && list.check(plain, version === 4 ? 'ipv4' : 'ipv6');
    },
  };
}

/** TRUST_PROXY: a hop count (0 = trust no proxy) or a CIDR list; `true`/`false` are refused as ambiguous. */
export function parseTrustProxy(name: string, value: string | undefined): TrustProxy {
  if (value === undefined) return { kind: 'hops', hops: 0 };
  if (/^\d+$/.test(value)) {
    const hops = Number(value);
    if (hops > MAX_HOPS) throw new ConfigError(name, `must be a hop count of at most ${MAX_HOPS}, or CIDR ranges`);
    return { kind: 'hops', hops };
  }
  if (/^(true|false|yes|no)$/i.test(value)) {
    throw new ConfigError(name, 'takes the number of proxy hops in front of the app (e.g. 1) or the proxies\' CIDR ranges, not true/false');
  }
  return { kind: 'cidrs', cidrs: parseAddressRanges(name, value).cidrs };
}

/**
 * Whether the peer at `hop` (0 = the socket's peer, 1 = the address it forwarded for, ...) is a trusted
 * proxy; undefined when no proxy is trusted. The shape of Fastify's `trustProxy` function.
 */
export function trustedProxyPredicate(trust: TrustProxy): ((address: string, hop: number) => boolean) | undefined {
  if (trust.kind === 'hops') {
    const { hops } = trust;
    return hops === 0 ? undefined : (_address, hop) => hop < hops;
  }
  const ranges = parseAddressRanges('TRUST_PROXY', trust.cidrs.join(','));
  return (address) => ranges.includes(address);
}

/**
 * The client's address: walk X-Forwarded-For from the nearest hop outwards while each hop is a trusted
 * proxy; the first untrusted one is the client. A forged header from an untrusted peer is ignored.
 */
export function clientAddress(
  socketAddress: string,
  forwardedFor: string | string[] | undefined,
  trusted: ((address: string, hop: number) => boolean) | undefined,
): string {
  if (!trusted || forwardedFor === undefined) return socketAddress;
  const forwarded = (Array.isArray(forwardedFor) ? forwardedFor.join(',') : forwardedFor).split(',').map((part) => part.trim()).filter(Boolean);
  let client = socketAddress;
  for (let hop = 0; trusted(client, hop) && forwarded.length > 0; hop++) client = forwarded.pop()!;
  return client;
}
