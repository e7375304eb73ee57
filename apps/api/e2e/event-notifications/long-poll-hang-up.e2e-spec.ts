import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { EventAnnouncements } from '../../src/event-subscriptions/event-announcements.js';
import { ApiHarness } from '../support/api-harness.js';

const EVENTS = '/open-banking/v4.0/events';

/**
 * A long poll (returnImmediately false) ends when the TPP hangs up. Until 7 December 2026 the controller
 * listened for the request's 'close', which Node emits once the request's body has been read, not when the
 * client disconnects: an abandoned poll held its waiter for the whole EVENT_POLL_WAIT_MS. The wait's
 * signal is observed by wrapping the real EventAnnouncements#watch (the API runs in this process).
 */
describe('event polling: a long poll stops waiting when the TPP hangs up', () => {
  let h: ApiHarness;
  const signals: AbortSignal[] = [];
  const original = EventAnnouncements.prototype.watch;

  beforeAll(async () => {
    // Record the AbortSignal each long poll hands to its wait (same process as the API under test).
    EventAnnouncements.prototype.watch = function (this: EventAnnouncements, clientId: string, abort: AbortSignal) {
      signals.push(abort);
      return original.call(this, clientId, abort);
    };
    h = await ApiHarness.start('long_poll_hang_up', { EVENT_POLL_WAIT_MS: '10000' });
  });
  afterAll(async () => {
    EventAnnouncements.prototype.watch = original;
    await h?.stop();
  });

  it('aborts the wait soon after the client disconnects, and not before', async () => {
    const token = await h.clientCredentialsToken({ scope: 'accounts' });
    const dpop = await h.dpop.proof('POST', `${h.api.publicUrl}${EVENTS}`, token, {});
    const hangUp = new AbortController();
    const request = fetch(`${h.api.url}${EVENTS}`, {
      method: 'POST',
      headers: { authorization: `DPoP ${token}`, dpop, 'content-type': 'application/json', 'x-fapi-customer-ip-address': '198.51.100.7' },
      body: JSON.stringify({ returnImmediately: false }),
      signal: hangUp.signal,
    }).catch((error: Error) => error.name);
    await expect.poll(() => signals.length, { timeout: 5_000 }).toBe(1);
    // Waiting, and not aborted while the TPP is still connected.
    expect(signals[0]!.aborted).toBe(false);
    hangUp.abort();
    expect(await request).toBe('AbortError');
    // The TPP is gone: its wait should end well before EVENT_POLL_WAIT_MS (10 s).
    await expect.poll(() => signals[0]!.aborted, { timeout: 3_000, interval: 50 }).toBe(true);
  });
});
