import { readFileSync } from 'node:fs';

import { OB_SPECS_DIR } from '@consentry/testing';
import yaml from 'js-yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { AISP, ApiHarness, JsonBody } from '../support/api-harness.js';

const COMPONENT_SCHEMA = '#/components/schemas/';

/** Every `$ref` value anywhere in an OpenAPI document. */
function schemaRefs(value: unknown): string[] {
  if (Array.isArray(value)) return value.flatMap(schemaRefs);
  if (typeof value !== 'object' || value === null) return [];
  return Object.entries(value).flatMap(([key, member]) => (key === '$ref' && typeof member === 'string' ? [member] : schemaRefs(member)));
}

describe('OpenAPI document of our own API', () => {
  let h: ApiHarness;
  let document: JsonBody;

  beforeAll(async () => {
    h = await ApiHarness.start('docs');
    const result = await h.call('GET', '/docs-json');
    expect(result.status).toBe(200);
    document = result.body;
  });
  afterAll(async () => h?.stop());

  it('is an OpenAPI 3 document whose server is the public URL', () => {
    expect(document.openapi).toMatch(/^3\./);
    expect(document.info.title).toBe('Consentry API');
    expect(document.servers).toEqual([{ url: h.api.publicUrl }]);
  });

  it('lists every AIS path of the official v4.0 file, with its operations', () => {
    const official = yaml.load(readFileSync(`${OB_SPECS_DIR}/uk-open-banking-v4.0/account-info-openapi.yaml`, 'utf8')) as { paths: Record<string, Record<string, unknown>> };
    for (const [path, operations] of Object.entries(official.paths)) {
      const ours = document.paths[`/${AISP.slice(1)}${path}`];
      expect(ours, `${path} missing from /docs-json`).toBeDefined();
      for (const method of Object.keys(operations)) expect(ours[method], `${method.toUpperCase()} ${path}`).toBeDefined();
    }
  });

  it('lists the official v4.0 domestic payment paths, with their operations', () => {
    const official = yaml.load(readFileSync(`${OB_SPECS_DIR}/uk-open-banking-v4.0/payment-initiation-openapi.yaml`, 'utf8')) as { paths: Record<string, Record<string, unknown>> };
    const domestic = Object.entries(official.paths).filter(([path]) => /^\/domestic-payment(s|-consents)/.test(path));
    expect(domestic).toHaveLength(6);
    for (const [path, operations] of domestic) {
      const ours = document.paths[`/open-banking/v4.0/pisp${path}`];
      expect(ours, `${path} missing from /docs-json`).toBeDefined();
      for (const method of Object.keys(operations)) expect(ours[method], `${method.toUpperCase()} ${path}`).toBeDefined();
    }
  });

  it('lists every confirmation-of-funds path of the official v4.0 file, with its operations', () => {
    const official = yaml.load(readFileSync(`${OB_SPECS_DIR}/uk-open-banking-v4.0/confirmation-funds-openapi.yaml`, 'utf8')) as { paths: Record<string, Record<string, unknown>> };
    expect(Object.keys(official.paths)).toHaveLength(3);
    for (const [path, operations] of Object.entries(official.paths)) {
      const ours = document.paths[`/open-banking/v4.0/cbpii${path}`];
      expect(ours, `${path} missing from /docs-json`).toBeDefined();
      for (const method of Object.keys(operations)) expect(ours[method], `${method.toUpperCase()} ${path}`).toBeDefined();
    }
  });

  it('lists every event notification path of the official v4.0 file, with its operations', () => {
    const official = yaml.load(readFileSync(`${OB_SPECS_DIR}/uk-open-banking-v4.0/events-openapi.yaml`, 'utf8')) as { paths: Record<string, Record<string, unknown>> };
    expect(Object.keys(official.paths)).toHaveLength(3);
    for (const [path, operations] of Object.entries(official.paths)) {
      const ours = document.paths[`/open-banking/v4.0${path}`];
      expect(ours, `${path} missing from /docs-json`).toBeDefined();
      for (const method of Object.keys(operations)) expect(ours[method], `${method.toUpperCase()} ${path}`).toBeDefined();
    }
  });

  it('lists the official v4.0 domestic VRP paths, with their operations but PUT and PATCH (answered 405)', () => {
    const official = yaml.load(readFileSync(`${OB_SPECS_DIR}/uk-open-banking-v4.0/vrp-openapi.yaml`, 'utf8')) as { paths: Record<string, Record<string, unknown>> };
    const paths = Object.entries(official.paths);
    expect(paths).toHaveLength(6);
    for (const [path, operations] of paths) {
      const ours = document.paths[`/open-banking/v4.0/pisp${path}`];
      expect(ours, `${path} missing from /docs-json`).toBeDefined();
      for (const method of Object.keys(operations).filter((m) => m !== 'put' && m !== 'patch')) expect(ours[method], `${method.toUpperCase()} ${path}`).toBeDefined();
      expect(ours.put).toBeUndefined();
      expect(ours.patch).toBeUndefined();
    }
  });

  it('lists only OB routes the server really answers', async () => {
    const listed = Object.entries(document.paths as Record<string, Record<string, unknown>>).filter(([path]) => path.startsWith('/open-banking/'));
    // The 28 official AIS paths, the 6 domestic payment paths, the 5 domestic scheduled payment paths,
    // the 5 domestic standing order paths, the 3 confirmation-of-funds paths, the 6 VRP paths and the 3
    // event notification paths, and no other.
    expect(listed.length).toBe(56);
    for (const [path, operations] of listed) {
      for (const method of Object.keys(operations)) {
        // Without credentials a served route refuses with 401; an unserved one would be 404 or 405.
        const result = await h.call(method.toUpperCase(), path.replace(/\{[^}]+\}/g, 'some-id'));
        expect(result.status, `${method} ${path}`).toBe(401);
      }
    }
  });

  it('documents the query parameters each list accepts', () => {
    const transactions = document.paths[`/${AISP.slice(1)}/accounts/{AccountId}/transactions`].get;
    const names = transactions.parameters.map((p: JsonBody) => p.name).sort();
    expect(names).toEqual(['AccountId', 'fromBookingDateTime', 'page', 'toBookingDateTime']);
  });

  it('names an existing component schema in every $ref of the public and the admin document', async () => {
    // The admin document answers only inside ADMIN_ALLOWED_CIDRS; the sandbox's include loopback.
    const admin = await h.call('GET', '/admin/docs-json');
    expect(admin.status).toBe(200);
    for (const [name, served] of [
      ['/docs-json', document],
      ['/admin/docs-json', admin.body],
    ] as const) {
      const schemas = Object.keys(served.components.schemas);
      const refs = schemaRefs(served);
      expect(refs.length, `${name} holds no $ref`).toBeGreaterThan(0);
      // An empty name ("#/components/schemas/") is in no document's schemas, so it is caught here too.
      const broken = refs.filter((ref) => !ref.startsWith(COMPONENT_SCHEMA) || !schemas.includes(ref.slice(COMPONENT_SCHEMA.length)));
      expect(broken, `${name}: $refs naming no schema of its own`).toEqual([]);
    }
  });

  it('describes the members of a payment consent\'s body as objects of their own schema', () => {
    const body = document.paths['/open-banking/v4.0/pisp/domestic-payment-consents'].post.requestBody.content['application/json'].schema;
    expect(body).toEqual({ $ref: '#/components/schemas/OBWriteDomesticConsent4Dto' });
    const consent = document.components.schemas.OBWriteDomesticConsent4Dto;
    expect(consent.properties.Data).toEqual({ $ref: '#/components/schemas/DomesticConsentDataDto' });
    expect(consent.properties.Risk).toEqual({ $ref: '#/components/schemas/OBRisk1Dto' });
    expect(document.components.schemas.DomesticConsentDataDto.properties.Initiation).toEqual({ $ref: '#/components/schemas/DomesticInitiationDto' });
  });

  it('serves Swagger UI at /docs', async () => {
    const result = await h.call('GET', '/docs');
    expect(result.status).toBe(200);
    expect(String(result.body)).toContain('swagger-ui');
  });
});
