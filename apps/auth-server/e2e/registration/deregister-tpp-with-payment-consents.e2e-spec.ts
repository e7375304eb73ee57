import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { randomUUID } from 'node:crypto';

import { createSandboxTppKeys, registerTpp } from '@consentry/sandbox';
import { DeregisterTpp, DeregisterTppCommand } from '@consentry/tpps';

import { GrantJourneys, startGrantJourneys } from '../support/grant-journeys.js';

/**
 * A TPP that deregisters while it holds consents keeps its row as Deregistered (docs/auth-server.md):
 * payment consents count as account-access ones do, so a PISP holding only an authorised VRP consent keeps
 * it, and the PSU's lists (which join on the TPP) still show the consent.
 */
describe('deregistering a TPP that holds only payment consents', () => {
  let p: GrantJourneys;
  beforeAll(async () => {
    p = await startGrantJourneys('deregister_pisp');
  });
  afterAll(async () => p?.stop());

  it('keeps the TPP row (Deregistered) while it holds an authorised VRP consent', async () => {
    const pisp = await createSandboxTppKeys('pisp-only', 'PISP Only', 'https://pisp-only.localhost/callback');
    await p.fixture.db.dataSource.transaction((manager) => registerTpp(manager, pisp, ['PISP']));
    // A VRP consent the PSU authorised through the real journey, then handed to the PISP-only TPP (no AIS consent).
    const vrp = await p.vrpConsent('alice');
    await p.query(`UPDATE payment_consent SET client_id = $2 WHERE consent_id = $1`, [vrp.consentId, pisp.client_id]);
    const result = await new DeregisterTpp(p.fixture.db.dataSource).execute(new DeregisterTppCommand({ clientId: pisp.client_id, interactionId: randomUUID() }));
    const [consent] = await p.query<{ status: string }>(`SELECT status FROM payment_consent WHERE consent_id = $1`, [vrp.consentId]);
    expect(consent!.status).toBe('AUTH');
    expect(result.keptForConsents).toBe(true);
    expect(await p.query(`SELECT status FROM tpp WHERE client_id = $1`, [pisp.client_id])).toEqual([{ status: 'Deregistered' }]);
  });
});
