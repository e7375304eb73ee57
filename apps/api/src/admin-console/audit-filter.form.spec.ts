import { describe, expect, it } from 'vitest';

import { PageException } from '../dashboard/page.exception.js';
import { filterQuery, parseAuditCursor, parseAuditExportForm, parseAuditFilterForm } from './audit-filter.form.js';
import { parsePaymentFilterForm } from './payment-filter.form.js';

describe('audit filter form', () => {
  it('reads every filter, taking date-times without an offset as UTC', () => {
    const parsed = parseAuditFilterForm({
      type: 'consent.revoked',
      clientId: ' sandbox-tpp ',
      psuId: 'p-1',
      consentId: 'aac-1',
      from: '2026-11-20T09:30',
      to: '2026-11-20T10:00:15Z',
    });
    expect(parsed.errors).toEqual({});
    expect(parsed.filter).toEqual({
      type: 'consent.revoked',
      clientId: 'sandbox-tpp',
      psuId: 'p-1',
      consentId: 'aac-1',
      from: new Date('2026-11-20T09:30:00.000Z'),
      to: new Date('2026-11-20T10:00:15.000Z'),
    });
  });

  it('makes an upper bound typed to the minute cover that whole minute', () => {
    expect(parseAuditFilterForm({ to: '2026-11-20T10:05' }).filter.to).toEqual(new Date('2026-11-20T10:05:59.999Z'));
  });

  it('refuses a date the calendar has not, which Date would roll into another period (until 6 December 2026 a search or an export ran on it)', () => {
    for (const text of ['2026-02-30T00:00', '2026-04-31T12:00', '2026-11-20T24:00', '0000-01-01T00:00', '2026-13-01T00:00', '2026-11-20T10:05:60', '2026-11-20T10:05+24:00']) {
      const parsed = parseAuditFilterForm({ from: text, to: text });
      expect(Object.keys(parsed.errors).sort(), text).toEqual(['from', 'to']);
      expect(parsed.filter, text).toEqual({});
    }
    expect(parseAuditFilterForm({ from: '2028-02-29T23:59:59.5+01:00' }).filter.from).toEqual(new Date('2028-02-29T22:59:59.500Z'));
  });

  it('names each field it cannot read and leaves it out of the filter', () => {
    const parsed = parseAuditFilterForm({ type: 'drop.table', from: 'yesterday', consentId: 'x'.repeat(201), to: '2026-01-01T00:00' , psuId: ['a', 'b'] });
    expect(Object.keys(parsed.errors).sort()).toEqual(['consentId', 'from', 'psuId', 'type']);
    expect(parsed.errors.psuId).toBe('Give this field once.');
    expect(parsed.filter).toEqual({ psuId: 'a', to: new Date('2026-01-01T00:00:59.999Z') });
    expect(parseAuditFilterForm({ from: '2026-02-01T00:00Z', to: '2026-01-01T00:00Z' }).errors).toHaveProperty('to');
  });

  it('refuses a filter given twice, and an id with a control character (until 7 December 2026: the first value, silently)', () => {
    for (const name of ['type', 'clientId', 'psuId', 'consentId', 'from', 'to']) {
      expect(Object.keys(parseAuditFilterForm({ [name]: ['', 'b'] }).errors), name).toEqual([name]);
    }
    expect(() => parseAuditExportForm({ csrf: 't', format: 'csv', clientId: ['tpp-a', 'tpp-b'] })).toThrow(PageException);
    expect(parseAuditFilterForm({ clientId: 'tpp\u0000' }).errors).toEqual({ clientId: 'Letters, digits and punctuation only.' });
    const payments = parsePaymentFilterForm({ status: ['ACSP', 'RJCT'], consentId: 'pmc-1\n2' });
    expect(payments.errors).toEqual({ status: 'Give this field once.', consentId: 'Letters, digits and punctuation only.' });
  });

  it('reads a keyset cursor and ignores anything that is not a sequence number', () => {
    expect(parseAuditCursor({ before: '120' })).toEqual({ before: '120' });
    expect(parseAuditCursor({ after: '7' })).toEqual({ after: '7' });
    expect(parseAuditCursor({})).toBeNull();
    // Until 7 December 2026 read as the first page.
    expect(() => parseAuditCursor({ before: '1 OR 1=1' })).toThrow(PageException);
    expect(() => parseAuditCursor({ after: '-1' })).toThrow(PageException);
    expect(() => parsePaymentFilterForm({ cursor: 'not*a*cursor' })).toThrow(PageException);
    expect(parsePaymentFilterForm({ cursor: 'WyIxIiwieCJd' }).cursor).toBe('WyIxIiwieCJd');
    expect(filterQuery({ type: '', clientId: 'a b', psuId: '', consentId: '', from: '', to: '' }, { before: '5' })).toBe('clientId=a+b&before=5');
  });

  it('refuses an export form with an unknown format or a bad filter', () => {
    expect(parseAuditExportForm({ csrf: 't', format: 'csv', consentId: 'aac-1' })).toEqual({ csrf: 't', format: 'csv', filter: { consentId: 'aac-1' } });
    expect(() => parseAuditExportForm({ csrf: 't', format: 'xlsx' })).toThrow(PageException);
    expect(() => parseAuditExportForm({ csrf: 't', format: 'csv', from: 'soon' })).toThrow(PageException);
  });

  it('refuses an export form holding a field it does not take, so a mistyped filter never exports the whole log', () => {
    expect(() => parseAuditExportForm({ csrf: 't', format: 'csv', clientld: 'tpp-a' })).toThrow('The form holds a field it does not take');
    expect(() => parseAuditExportForm({ csrf: 't', format: 'csv', clientId: 'tpp-a', limit: '10' })).toThrow(PageException);
    expect(parseAuditExportForm({ csrf: 't', format: 'ndjson', type: 'consent.created', clientId: 'tpp-a', psuId: 'p', consentId: 'aac-1', from: '', to: '' }).filter).toEqual({
      type: 'consent.created',
      clientId: 'tpp-a',
      psuId: 'p',
      consentId: 'aac-1',
    });
  });
});
