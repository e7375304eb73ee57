import { randomBytes } from 'node:crypto';
import { SocketAddress } from 'node:net';

import { describe, expect, it } from 'vitest';

import { clientNetwork, UNREADABLE_CLIENT_NETWORK } from './client-network.js';

/** Eight random 16-bit groups. */
function randomGroups(): number[] {
  const bytes = randomBytes(16);
  return Array.from({ length: 8 }, (_, i) => bytes.readUInt16BE(i * 2));
}

/** Spellings of one IPv6 address that any stack may hand over: full and padded, upper case, compressed. */
function spellings(groups: number[]): string[] {
  const full = groups.map((group) => group.toString(16)).join(':');
  return [
    full,
    groups.map((group) => group.toString(16).padStart(4, '0')).join(':').toUpperCase(),
    new SocketAddress({ address: full, family: 'ipv6' }).address,
    new SocketAddress({ address: full, family: 'ipv6' }).address.toUpperCase(),
  ];
}

describe('clientNetwork', () => {
  it('answers an IPv4 address as itself', () => {
    expect(clientNetwork('10.9.9.9')).toBe('10.9.9.9');
    expect(clientNetwork('192.0.2.1')).toBe('192.0.2.1');
    expect(clientNetwork('0.0.0.0')).toBe('0.0.0.0');
  });

  it('answers every spelling of an IPv4-mapped IPv6 address as the IPv4 address', () => {
    for (const spelling of ['::ffff:10.9.9.9', '::FFFF:10.9.9.9', '::ffff:a09:909', '::FFFF:A09:909', '0:0:0:0:0:ffff:0a09:0909', '0000:0000:0000:0000:0000:FFFF:10.9.9.9']) {
      expect(clientNetwork(spelling), spelling).toBe('10.9.9.9');
    }
  });

  it('answers an IPv6 address as its /64, lower case and compressed', () => {
    expect(clientNetwork('2001:db8::1')).toBe('2001:db8::/64');
    expect(clientNetwork('2001:DB8:0:0:FFFF:FFFF:FFFF:FFFF')).toBe('2001:db8::/64');
    expect(clientNetwork('2001:0db8:0000:0000:1234:5678:9abc:def0')).toBe('2001:db8::/64');
    expect(clientNetwork('2001:db8:0:1::1')).toBe('2001:db8:0:1::/64');
    expect(clientNetwork('2001:db8:aa:bb:cc:dd:ee:ff')).toBe('2001:db8:aa:bb::/64');
    expect(clientNetwork('fe80::1%eth0')).toBe('fe80::/64');
    expect(clientNetwork('::1')).toBe('::/64');
  });

  it('keeps IPv4 embedded in other IPv6 prefixes (NAT64, IPv4-compatible) to their /64', () => {
    expect(clientNetwork('64:ff9b::10.9.9.9')).toBe('64:ff9b::/64');
    expect(clientNetwork('::10.9.9.9')).toBe('::/64');
    // Not mapped: ::ffff is the fifth group here, not the sixth.
    expect(clientNetwork('::ffff:0:10.9.9.9')).toBe('::/64');
  });

  it('answers every address of one /64, in any spelling, with one network, and other /64s with others', () => {
    for (let i = 0; i < 200; i++) {
      const groups = randomGroups();
      // Never ::ffff:0:0/96, the mapped IPv4 range.
      groups[0] = groups[0]! | 0x2000;
      const network = clientNetwork(spellings(groups)[0]!);
      expect(network).toMatch(/^[0-9a-f:]+\/64$/);
      const neighbour = [...groups.slice(0, 4), ...randomGroups().slice(4)];
      for (const spelling of [...spellings(groups), ...spellings(neighbour)]) expect(clientNetwork(spelling), spelling).toBe(network);
      const nextNetwork = [...groups.slice(0, 3), (groups[3]! + 1) & 0xffff, ...groups.slice(4)];
      expect(clientNetwork(spellings(nextNetwork)[0]!)).not.toBe(network);
      // The network's own address is canonical already: it answers itself.
      expect(clientNetwork(network.slice(0, -3))).toBe(network);
    }
  });

  it('puts every value that is not an IP address into one shared network', () => {
    for (const value of ['', 'unknown', 'localhost', '10.9.9.9 ', ' 10.9.9.9', '010.9.9.9', '10.9.9', '10.9.9.256', '2001:db8::1::1', '2001:db8::g', '[2001:db8::1]', '10.9.9.9:443', '%eth0']) {
      expect(clientNetwork(value), JSON.stringify(value)).toBe(UNREADABLE_CLIENT_NETWORK);
    }
  });
});
