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
