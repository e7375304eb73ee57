import { readFileSync } from 'node:fs';

import { describe, expect, it } from 'vitest';

import { AUDIT_GENESIS_HASH, linkAuditEntries } from './audit-chain.js';
import { AuditEvent } from './audit-event.js';

/*
 * Known answers for the chain format. The hashes below were computed by an implementation that shares no
 * code with audit-chain.ts: Python's json module and hashlib, following docs/audit.md ("The hash chain").
 * Any change to the format (key order, escaping, number form, the newline, the hashed fields) fails here.
 * To recompute them, from the repository root:
 *
 * python3 - libs/audit/src/audit-chain.known-answers.json <<'EOF'
 * import hashlib, json, sys
 * fixture = json.load(open(sys.argv[1], encoding='utf-8'))
 * def chain(seq, prev, events):
 *     hashes = []
 *     for e in events:
 *         seq += 1
 *         content = json.dumps({'seq': seq, 'eventId': e['eventId'], 'type': e['type'], 'occurredAt': e['occurredAt'], 'event': e},
 *                              sort_keys=True, separators=(',', ':'), ensure_ascii=False)
 *         prev = hashlib.sha256((prev + '\n' + content).encode('utf-8')).hexdigest()
 *         hashes.append(prev)
 *     return hashes
 * print(json.dumps({'fromGenesis': chain(0, '0' * 64, fixture['events']),
 *                   'afterHead': chain(int(fixture['head']['seq']), fixture['head']['hash'], fixture['events'])}, indent=2))
 * EOF
 *
 * Python's int is exact, so the seqs after the head (2^53 + 1 and on, where a double would round) check
 * that seq is written as the exact integer. The fixture's keys are ASCII, where Python's code-point sort
 * and JavaScript's code-unit sort agree; its strings carry non-ASCII, an astral character, quotes and
 * control characters, written raw or escaped as both json.dumps(ensure_ascii=False) and JSON.stringify do.
 */
const KNOWN_HASHES = {
  fromGenesis: [
    'b5bbb2ea7735b5749a40cd07579164f9bbaffad568c737516be033413f8465d3',
    '267095ee6f65aba1c3557a5b99a9e146eba2fa8dcd3c2dfd3a885a8ccd07c28e',
    '4d79e15a8919d9c7c86ca91136d68b68e45de2032e698d4b7b90b382c018cbcb',
  ],
  afterHead: [
    'e4d043afc76fe5b1ff98a152f7003569d5dd766bbdd0fb11201dff59e1995004',
    '0eddf32c89e5d12a56079be59bbf00d6cf0bfaedd4f762a3e6e01d05291a593a',
    'c85be7bcff5fbead4c8749773fbf33b57c801580951d828295b2114873a02c85',
  ],
};

interface KnownAnswerFixture {
  head: { seq: string; hash: string };
  events: AuditEvent[];
}

const fixture = JSON.parse(
  readFileSync(new URL('./audit-chain.known-answers.json', import.meta.url), 'utf8'),
) as KnownAnswerFixture;

describe('audit chain known answers', () => {
  it('links the fixed events from the genesis hash to the hashes the Python reference computed', () => {
    const entries = linkAuditEntries(null, fixture.events);
    expect(entries.map((entry) => entry.seq)).toEqual([1n, 2n, 3n]);
    expect(entries[0]!.prevHash).toBe(AUDIT_GENESIS_HASH);
    expect(entries.map((entry) => entry.hash)).toEqual(KNOWN_HASHES.fromGenesis);
  });

  it('writes seqs past 2^53 exactly, as the Python reference does', () => {
    const head = { seq: BigInt(fixture.head.seq), hash: fixture.head.hash };
    const entries = linkAuditEntries(head, fixture.events);
    expect(entries.map((entry) => entry.seq)).toEqual([9007199254740993n, 9007199254740994n, 9007199254740995n]);
    expect(entries.map((entry) => entry.hash)).toEqual(KNOWN_HASHES.afterHead);
  });
});
