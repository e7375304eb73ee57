import { generateKeyPairSync } from 'node:crypto';
import { createServer, Server } from 'node:http';
import { AddressInfo } from 'node:net';

import { exportJWK, generateKeyPair, JWK } from 'jose';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { IssuerKeySet, JwksUnavailableError } from './issuer-key-set.js';

async function publicJwk(alg: 'PS256' | 'ES256', kid: string): Promise<JWK> {
  const { publicKey } = await generateKeyPair(alg, { extractable: true });
  return { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' };
}

describe('IssuerKeySet', () => {
  let server: Server;
  let url: string;
  let keys: JWK[];
  let status: number;
  let hits: number;

  beforeEach(async () => {
    keys = [];
    status = 200;
    hits = 0;
    server = createServer((_request, response) => {
      hits++;
      response.writeHead(status, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ keys }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/jwks`;
  });
  afterEach(async () => new Promise<void>((resolve) => server.close(() => resolve())));

  it('fetches once, then answers known kids from memory', async () => {
    keys = [await publicJwk('PS256', 'a')];
    const set = new IssuerKeySet(url);
    expect(await set.keyFor('a', 'PS256')).not.toBeNull();
    expect(await set.keyFor('a', 'PS256')).not.toBeNull();
    expect(hits).toBe(1);
  });

  it('refetches for an unknown kid (rotation), at most once per cooldown', async () => {
    keys = [await publicJwk('PS256', 'a')];
    const set = new IssuerKeySet(url, { unknownKidCooldownMs: 0 });
    await set.keyFor('a', 'PS256');
    keys.push(await publicJwk('PS256', 'b'));
    expect(await set.keyFor('b', 'PS256')).not.toBeNull();
    expect(hits).toBe(2);
    const cooled = new IssuerKeySet(url, { unknownKidCooldownMs: 60_000 });
    await cooled.keyFor('a', 'PS256');
    expect(await cooled.keyFor('unknown', 'PS256')).toBeNull();
    expect(await cooled.keyFor('unknown', 'PS256')).toBeNull();
    expect(hits).toBe(3);
  });

  it('never hands out a key for another alg, nor an encryption or private key', async () => {
    const { privateKey } = await generateKeyPair('ES256', { extractable: true });
    keys = [await publicJwk('ES256', 'ec'), { ...(await publicJwk('PS256', 'enc')), use: 'enc' }, { ...(await exportJWK(privateKey)), kid: 'priv', alg: 'ES256' }];
    const set = new IssuerKeySet(url);
    expect(await set.keyFor('ec', 'PS256')).toBeNull();
    expect(await set.keyFor('ec', 'ES256')).not.toBeNull();
    expect(await set.keyFor('enc', 'PS256')).toBeNull();
    expect(await set.keyFor('priv', 'ES256')).toBeNull();
  });

  it('never hands out an unfit issuer key: RSA with e other than 65537, P-384, Ed25519', async () => {
    const e3 = generateKeyPairSync('rsa', { modulusLength: 2048, publicExponent: 3 }).publicKey.export({ format: 'jwk' });
    const p384 = await exportJWK((await generateKeyPair('ES384', { extractable: true })).publicKey);
    const ed = await exportJWK((await generateKeyPair('EdDSA', { extractable: true })).publicKey);
    keys = [{ ...e3, kid: 'e3', use: 'sig' } as JWK, { ...p384, kid: 'p384', use: 'sig' }, { ...ed, kid: 'ed', use: 'sig' }];
    const set = new IssuerKeySet(url);
    expect(await set.keyFor('e3', 'PS256')).toBeNull();
    expect(await set.keyFor('p384', 'ES256')).toBeNull();
    expect(await set.keyFor('ed', 'ES256')).toBeNull();
  });

  it('keeps the keys it has when a refetch fails, and says so when it never had any', async () => {
    keys = [await publicJwk('PS256', 'a')];
    const set = new IssuerKeySet(url, { maxAgeMs: 0 });
    expect(await set.keyFor('a', 'PS256')).not.toBeNull();
    status = 503;
    expect(await set.keyFor('a', 'PS256')).not.toBeNull();
    await expect(new IssuerKeySet(url).keyFor('a', 'PS256')).rejects.toBeInstanceOf(JwksUnavailableError);
  });
});
