import { describe, expect, it } from 'vitest';

import { CallbackUrlRefused, checkCallbackUrl, HostResolver } from './event-callback-url.js';

const resolvingTo = (...addresses: string[]): HostResolver => async () => addresses.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));

async function refusal(url: string, options: { sandbox: boolean; resolve?: HostResolver }): Promise<string> {
  try {
    await checkCallbackUrl(url, options);
  } catch (error) {
    if (error instanceof CallbackUrlRefused) return error.message;
    throw error;
  }
  return 'accepted';
}

describe('checkCallbackUrl', () => {
  it('accepts an https URL whose host resolves to public addresses, and answers the address to connect to', async () => {
    const checked = await checkCallbackUrl('https://tpp.example.com/cb', { sandbox: false, resolve: resolvingTo('93.184.215.14', '2606:2800:21f:cb07:6820:80da:af6b:8b2c') });
    expect(checked).toMatchObject({ address: '93.184.215.14', family: 4 });
    expect(checked.url.href).toBe('https://tpp.example.com/cb');
  });

  it('refuses a host name that resolves to loopback, private or link-local addresses, even among public ones', async () => {
    expect(await refusal('https://localhost/cb', { sandbox: false })).toMatch(/not public/);
    expect(await refusal('https://rebind.example/cb', { sandbox: false, resolve: resolvingTo('93.184.215.14', '10.0.0.7') })).toMatch(/not public/);
    expect(await refusal('https://metadata.example/cb', { sandbox: false, resolve: resolvingTo('169.254.169.254') })).toMatch(/not public/);
    expect(await refusal('https://v6.example/cb', { sandbox: false, resolve: resolvingTo('::1') })).toMatch(/not public/);
    expect(await refusal('https://v6.example/cb', { sandbox: false, resolve: resolvingTo('fd00::1') })).toMatch(/not public/);
    // IPv6 forms carrying an IPv4 address (IPv4-compatible, 6to4, Teredo, NAT64), and an IPv6 literal host.
    for (const address of ['::127.0.0.1', '::a00:1', '2002:7f00:1::', '2002:5db8:d70e::1', '2001:0:4136:e378::1', '64:ff9b::a00:1', '64:ff9b:1::1']) {
      expect(await refusal('https://v6.example/cb', { sandbox: false, resolve: resolvingTo(address) }), address).toMatch(/not public/);
    }
    expect(await refusal('https://[::127.0.0.1]/cb', { sandbox: false })).toMatch(/not public/);
    // Outside global unicast: site-local, segment routing, SIIT's IPv4-translated form (here of 127.0.0.1),
    // unassigned space; inside it, the IETF's protocol block and the newer documentation prefix.
    for (const address of ['fec0::1', '5f00::1', '::ffff:0:7f00:1', '4000::1', 'e000::1', '2001:10::1', '2001:20::1', '3fff::1']) {
      expect(await refusal(`https://[${address}]/cb`, { sandbox: false }), address).toMatch(/not public/);
      expect(await refusal('https://v6.example/cb', { sandbox: false, resolve: resolvingTo(address) }), address).toMatch(/not public/);
    }
    // An IPv4-mapped address is judged by the IPv4 rules: public when its IPv4 address is.
    expect(await refusal('https://[::ffff:5db8:d70e]/cb', { sandbox: false })).toBe('accepted');
    expect(await refusal('https://[::ffff:a00:1]/cb', { sandbox: false })).toMatch(/not public/);
    // A public IPv6 address is still one.
    expect(await refusal('https://v6.example/cb', { sandbox: false, resolve: resolvingTo('2606:2800:21f:cb07:6820:80da:af6b:8b2c') })).toBe('accepted');
    expect(await refusal('https://nowhere.example/cb', { sandbox: false, resolve: async () => [] })).toMatch(/does not resolve/);
  });

  it('allows http://localhost in the sandbox only, and then only to loopback', async () => {
    expect(await refusal('http://localhost:8080/cb', { sandbox: false })).toMatch(/must be https/);
    expect(await checkCallbackUrl('http://localhost:8080/cb', { sandbox: true, resolve: resolvingTo('127.0.0.1') })).toMatchObject({ address: '127.0.0.1' });
    expect(await refusal('http://localhost:8080/cb', { sandbox: true, resolve: resolvingTo('10.0.0.1') })).toMatch(/not public/);
    // The exception is http://localhost alone: https://localhost is loopback like any other https host.
    expect(await refusal('https://localhost:8443/cb', { sandbox: true, resolve: resolvingTo('127.0.0.1') })).toMatch(/not public/);
    expect(await refusal('http://127.0.0.1:8080/cb', { sandbox: true })).toMatch(/https/);
    expect(await refusal('https://127.0.0.1/cb', { sandbox: true })).toMatch(/not public/);
  });
});
