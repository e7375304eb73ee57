import { isIPv4, isIPv6, SocketAddress } from 'node:net';

// The prefix of one customer's IPv6 allocation (RFC 6177, RIPE-690: at least a /64 per subscriber):
// every address inside it is one client to the sign-in throttle.
const IPV6_CLIENT_PREFIX_GROUPS = 4;

/**
 * Where every address that cannot be read as IP goes: one shared counter. A well-configured proxy only
 * ever appends real peer addresses, so only a forged value lands here, and rotating forged values must
 * not buy fresh counters.
 */
export const UNREADABLE_CLIENT_NETWORK = 'unreadable';

/**
 * The network a client address counts for in the sign-in throttle, in one canonical spelling: an IPv4
 * address itself (also when written IPv4-mapped, `::ffff:10.9.9.9` or `::ffff:a09:909`), and for any other
 * IPv6 address its /64, lower-case and compressed (`2001:db8:0:1::/64`). A client that owns a /64 can pick
 * any of its 2^64 addresses, so per-address counters would not limit it at all.
 */
export function clientNetwork(address: string): string {
  if (isIPv4(address)) return address.split('.').map(Number).join('.');
  // A zone (fe80::1%eth0) names the interface, not the client.
  const plain = address.split('%')[0]!;
  if (!isIPv6(plain)) return UNREADABLE_CLIENT_NETWORK;
  const groups = ipv6Groups(plain);
  if (groups.slice(0, 5).every((group) => group === 0) && groups[5] === 0xffff) {
    return [groups[6]! >> 8, groups[6]! & 0xff, groups[7]! >> 8, groups[7]! & 0xff].join('.');
  }
  const prefix = [...groups.slice(0, IPV6_CLIENT_PREFIX_GROUPS), 0, 0, 0, 0].map((group) => group.toString(16)).join(':');
  // Node formats it as inet_ntop does (RFC 5952: lower case, no leading zeros, the longest zero run as ::).
  return `${new SocketAddress({ address: prefix, family: 'ipv6' }).address}/${IPV6_CLIENT_PREFIX_GROUPS * 16}`;
}

/** The eight 16-bit groups of an address `isIPv6` accepted (`::` expanded, a dotted IPv4 tail as two groups). */
function ipv6Groups(address: string): number[] {
  let text = address;
  const dotted = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (dotted) {
    const [a, b, c, d] = dotted.slice(1).map(Number) as [number, number, number, number];
    text = `${text.slice(0, dotted.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head, tail] = text.split('::') as [string, string | undefined];
  const left = head === '' ? [] : head.split(':');
  const right = tail === undefined || tail === '' ? [] : tail.split(':');
  const zeros = tail === undefined ? [] : new Array<string>(8 - left.length - right.length).fill('0');
  return [...left, ...zeros, ...right].map((group) => parseInt(group, 16));
}
