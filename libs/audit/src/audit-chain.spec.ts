import { describe, expect, it } from 'vitest';

import {
  AUDIT_GENESIS_HASH,
  canonicalJson,
  computeAuditEntryHash,
  linkAuditEntries,
  linkPreparedAuditEntries,
  prepareAuditEntries,
  sha256Hex,
} from './audit-chain.js';
import { AuditEvent } from './audit-event.js';

function event(n: number, overrides: Partial<AuditEvent> = {}): AuditEvent {
  return {
    eventId: `00000000-0000-4000-8000-${n.toString().padStart(12, '0')}`,
    type: 'consent.created',
    occurredAt: '2026-11-20T10:00:00.000Z',
    actor: { type: 'tpp', id: 'tpp-1' },
    clientId: 'tpp-1',
    consentId: `consent-${n}`,
    data: { permissions: ['ReadAccountsBasic'] },
    ...overrides,
  };
}

describe('canonicalJson', () => {
  it('sorts keys at every depth and writes no whitespace', () => {
    expect(canonicalJson({ b: 1, a: { d: [1, { z: true, y: null }], c: 'x' } })).toBe(
      '{"a":{"c":"x","d":[1,{"y":null,"z":true}]},"b":1}',
    );
  });

  it('gives the same text whatever the key order', () => {
    expect(canonicalJson({ x: 1, y: { p: 2, q: 3 } })).toBe(canonicalJson({ y: { q: 3, p: 2 }, x: 1 }));
  });

  it('leaves out undefined members and writes undefined array items as null, like JSON', () => {
    expect(canonicalJson({ a: undefined, b: [undefined, 1] })).toBe('{"b":[null,1]}');
  });

  it('writes bigints as plain numbers', () => {
    expect(canonicalJson({ seq: 9007199254740993n })).toBe('{"seq":9007199254740993}');
  });

  it('escapes strings as JSON does', () => {
    expect(canonicalJson({ 'k"ey': 'line\nbreak "quoted" é' })).toBe('{"k\\"ey":"line\\nbreak \\"quoted\\" é"}');
  });

  it('refuses values JSON cannot carry faithfully', () => {
    expect(() => canonicalJson({ a: Number.NaN })).toThrow('cannot hash a non-finite number at $.a');
    expect(() => canonicalJson({ when: new Date(0) })).toThrow('cannot hash a non-plain object at $.when');
    expect(() => canonicalJson([() => 1])).toThrow('cannot hash a function at $[0]');
  });
});

describe('computeAuditEntryHash', () => {
  it('is SHA-256 over the previous hash, a newline and the canonical content', () => {
    const e = event(1);
    const content = { seq: 1n, eventId: e.eventId, type: e.type, occurredAt: e.occurredAt, event: e };
    const expected = sha256Hex(
      `${AUDIT_GENESIS_HASH}\n${canonicalJson({ event: e, eventId: e.eventId, occurredAt: e.occurredAt, seq: 1n, type: e.type })}`,
    );
    expect(computeAuditEntryHash(AUDIT_GENESIS_HASH, content)).toBe(expected);
    expect(expected).toMatch(/^[0-9a-f]{64}$/);
  });

  it('hashes exactly the canonical JSON of the content, whatever order the event keys come in', () => {
    const e = event(1, { data: { z: [1, { b: 'x', a: null }], 'k"ey': 'é\n', y: undefined } });
    const reordered = JSON.parse(JSON.stringify(Object.fromEntries(Object.entries(e).reverse()))) as AuditEvent;
    const content = { seq: 7n, eventId: e.eventId, type: e.type, occurredAt: e.occurredAt };
    const expected = sha256Hex(`${'1'.repeat(64)}\n${canonicalJson({ ...content, event: e })}`);
    expect(computeAuditEntryHash('1'.repeat(64), { ...content, event: e })).toBe(expected);
    expect(computeAuditEntryHash('1'.repeat(64), { ...content, event: reordered })).toBe(expected);
  });

  it('leaves out an undefined member of the content as canonicalJson does', () => {
    const e = event(1);
    const content = { seq: 3n, eventId: e.eventId, type: undefined as unknown as string, occurredAt: e.occurredAt, event: e };
    expect(computeAuditEntryHash(AUDIT_GENESIS_HASH, content)).toBe(sha256Hex(`${AUDIT_GENESIS_HASH}\n${canonicalJson(content)}`));
  });

  it('names the place inside the event of a value it cannot hash', () => {
    const e = event(1, { data: { amounts: [1, Number.POSITIVE_INFINITY] } });
    expect(() => computeAuditEntryHash(AUDIT_GENESIS_HASH, { seq: 1n, eventId: e.eventId, type: e.type, occurredAt: e.occurredAt, event: e })).toThrow(
      'cannot hash a non-finite number at $.event.data.amounts[1]',
    );
  });

  it('changes when any hashed field or the previous hash changes', () => {
    const e = event(1);
    const base = { seq: 1n, eventId: e.eventId, type: e.type, occurredAt: e.occurredAt, event: e };
    const hash = computeAuditEntryHash(AUDIT_GENESIS_HASH, base);
    const variants = [
      computeAuditEntryHash('1'.repeat(64), base),
      computeAuditEntryHash(AUDIT_GENESIS_HASH, { ...base, seq: 2n }),
      computeAuditEntryHash(AUDIT_GENESIS_HASH, { ...base, type: 'consent.revoked' }),
      computeAuditEntryHash(AUDIT_GENESIS_HASH, { ...base, occurredAt: '2026-11-20T10:00:00.001Z' }),
      computeAuditEntryHash(AUDIT_GENESIS_HASH, { ...base, event: { ...e, data: { permissions: [] } } }),
    ];
    for (const variant of variants) expect(variant).not.toBe(hash);
  });
});

describe('linkAuditEntries', () => {
  it('starts an empty log at seq 1 on the genesis hash', () => {
    const [first, second] = linkAuditEntries(null, [event(1), event(2)]);
    expect(first).toMatchObject({ seq: 1n, prevHash: AUDIT_GENESIS_HASH, eventId: event(1).eventId });
    expect(second).toMatchObject({ seq: 2n, prevHash: first!.hash });
  });

  it('continues after the head and gives the same hashes as linking in one go', () => {
    const all = linkAuditEntries(null, [event(1), event(2), event(3)]);
    const tail = linkAuditEntries({ seq: 1n, hash: all[0]!.hash }, [event(2), event(3)]);
    expect(tail.map((e) => [e.seq, e.hash])).toEqual(all.slice(1).map((e) => [e.seq, e.hash]));
  });

  it('normalises the instant to millisecond ISO form, as the occurred_at column gives it back', () => {
    const [entry] = linkAuditEntries(null, [event(1, { occurredAt: '2026-11-20T11:00:00+01:00' })]);
    expect(entry!.occurredAt).toBe('2026-11-20T10:00:00.000Z');
  });

  it('gives the same entries when the events were prepared before the head was known', () => {
    const events = [event(1), event(2), event(3)];
    const prepared = prepareAuditEntries(events);
    const head = { seq: 41n, hash: 'a'.repeat(64) };
    expect(linkPreparedAuditEntries(head, prepared)).toEqual(linkAuditEntries(head, events));
    expect(linkPreparedAuditEntries(null, prepared)).toEqual(linkAuditEntries(null, events));
  });

  it('refuses an event whose instant cannot be read', () => {
    expect(() => linkAuditEntries(null, [event(1, { occurredAt: 'yesterday' })])).toThrow('occurredAt is not an instant');
  });
});
