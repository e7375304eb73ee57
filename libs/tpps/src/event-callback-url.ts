import { lookup } from 'node:dns/promises';
import { BlockList, isIP } from 'node:net';

/**
 * Where a TPP's event notifications may be sent (SSRF defence). A callback must be https and every
 * address its host resolves to must be public: never loopback, link-local (cloud metadata at
 * 169.254.169.254), private, shared, multicast or reserved. The sandbox also allows `http://localhost`
 * (a developer's own machine), and then only loopback addresses. The check runs when the subscription is
 * written and again at every delivery, which connects to the address checked (no DNS rebinding).
 */
const NOT_PUBLIC = new BlockList();
for (const [network, prefix] of [
  ['0.0.0.0', 8], ['10.0.0.0', 8], ['100.64.0.0', 10], ['127.0.0.0', 8], ['169.254.0.0', 16], ['172.16.0.0', 12],
  ['192.0.0.0', 24], ['192.0.2.0', 24], ['192.168.0.0', 16], ['198.18.0.0', 15], ['198.51.100.0', 24], ['203.0.113.0', 24],
  ['224.0.0.0', 4], ['240.0.0.0', 4],
] as const) NOT_PUBLIC.addSubnet(network, prefix, 'ipv4');
for (const [network, prefix] of [
  // IPv4-mapped addresses (::ffff:0:0/96) are left to the IPv4 rules, which BlockList applies to them too.
  // The forms that carry an IPv4 address inside them are refused whole, whichever address they carry:
  // IPv4-compatible (::/96, with the unspecified and loopback addresses), NAT64 (64:ff9b::/96 and the
  // local-use 64:ff9b:1::/48), Teredo (2001::/32) and 6to4 (2002::/16; until 7 December 2026 these last
  // four and ::/96 were taken, so [::127.0.0.1] or 2002:7f00:1:: passed for public).
  ['::', 96], ['64:ff9b::', 96], ['64:ff9b:1::', 48], ['100::', 64], ['2001::', 32], ['2001:db8::', 32], ['2002::', 16],
  ['fc00::', 7], ['fe80::', 10], ['ff00::', 8],
] as const) NOT_PUBLIC.addSubnet(network, prefix, 'ipv6');
// Outside IPv4-mapped addresses, an IPv6 address is public only inside global unicast (2000::/3, RFC 4291),
// less the ranges above: a list of what to refuse missed site-local fec0::/10, the segment-routing
// 5f00::/16 and SIIT's ::ffff:0:0:0/96, which carries an IPv4 address (until 7 December 2026 all three
// were taken). Inside 2000::/3 the IETF's protocol block (2001::/23, Teredo among it) and the newer
// documentation prefix 3fff::/20 are refused too.
const GLOBAL_UNICAST = new BlockList();
GLOBAL_UNICAST.addSubnet('2000::', 3, 'ipv6');
const IPV4_MAPPED = new BlockList();
IPV4_MAPPED.addSubnet('::ffff:0:0', 96, 'ipv6');
NOT_PUBLIC.addSubnet('2001::', 23, 'ipv6');
NOT_PUBLIC.addSubnet('3fff::', 20, 'ipv6');

/** Whether `address` is public: not in a refused range, and, for IPv6, global unicast or an IPv4-mapped public address. */
function isPublic(address: string, kind: 'ipv4' | 'ipv6'): boolean {
  if (NOT_PUBLIC.check(address, kind)) return false;
  return kind === 'ipv4' || GLOBAL_UNICAST.check(address, 'ipv6') || IPV4_MAPPED.check(address, 'ipv6');
}

const LOOPBACK = new BlockList();
LOOPBACK.addSubnet('127.0.0.0', 8, 'ipv4');
LOOPBACK.addAddress('::1', 'ipv6');

const MAX_CALLBACK_URL = 2_048;

export class CallbackUrlRefused extends Error {
  override name = 'CallbackUrlRefused';
}

export interface CheckedCallback {
  url: URL;
  /** The address to connect to: checked, so the connection never resolves the name again. */
  address: string;
  family: 4 | 6;
}

/** Resolves a host name to every address it has (the system resolver; a test may pass its own). */
export type HostResolver = (hostname: string) => Promise<Array<{ address: string; family: number }>>;

const systemResolver: HostResolver = (hostname) => lookup(hostname, { all: true, verbatim: true });

/** The URL's form alone (scheme, credentials, length): refused before any name is resolved. */
export function parseCallbackUrl(value: string, sandbox: boolean): URL {
  if (value.length > MAX_CALLBACK_URL) throw new CallbackUrlRefused(`the callback URL is longer than ${MAX_CALLBACK_URL} characters`);
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new CallbackUrlRefused('the callback URL is not a valid absolute URL');
  }
  if (url.username || url.password) throw new CallbackUrlRefused('the callback URL must not carry credentials');
  if (url.hash) throw new CallbackUrlRefused('the callback URL must not carry a fragment');
  const localhost = sandbox && url.hostname === 'localhost';
  if (url.protocol !== 'https:' && !(localhost && url.protocol === 'http:')) {
    throw new CallbackUrlRefused(sandbox ? 'the callback URL must be https (or http://localhost in the sandbox)' : 'the callback URL must be https');
  }
  return url;
}

/**
 * Checks a callback URL and resolves its host: every address must be public (loopback only, for the
 * sandbox's http://localhost). Answers the first address, the one a delivery connects to.
 */
export async function checkCallbackUrl(value: string, options: { sandbox: boolean; resolve?: HostResolver }): Promise<CheckedCallback> {
  const url = parseCallbackUrl(value, options.sandbox);
  // The sandbox's one exception is http://localhost; https://localhost is held to the public rule like any https URL.
  const localhost = options.sandbox && url.hostname === 'localhost' && url.protocol === 'http:';
  const host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
  let addresses: Array<{ address: string; family: number }>;
  if (isIP(host) !== 0) addresses = [{ address: host, family: isIP(host) }];
  else {
    try {
      addresses = await (options.resolve ?? systemResolver)(host);
    } catch {
      throw new CallbackUrlRefused('the callback URL\'s host does not resolve');
    }
  }
  if (addresses.length === 0) throw new CallbackUrlRefused('the callback URL\'s host does not resolve');
  for (const { address, family } of addresses) {
    const kind = family === 6 ? 'ipv6' : 'ipv4';
    const allowed = localhost ? LOOPBACK.check(address, kind) : isPublic(address, kind);
    if (!allowed) throw new CallbackUrlRefused('the callback URL resolves to an address that is not public');
  }
  const first = addresses[0]!;
  return { url, address: first.address, family: first.family === 6 ? 6 : 4 };
}
