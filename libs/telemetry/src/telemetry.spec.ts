import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

import { describe, expect, it } from 'vitest';

import { contextFromTraceparent, currentTraceparent, inSpan } from './index.js';
import { serviceNameOf } from './service-name.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');

describe('serviceNameOf', () => {
  it("names an app after the package whose entry runs, or OTEL_SERVICE_NAME", () => {
    expect(serviceNameOf(join(ROOT, 'apps/api/dist/main.js'), {})).toBe('api');
    expect(serviceNameOf(join(ROOT, 'apps/auth-server/dist/main.js'), {})).toBe('auth-server');
    expect(serviceNameOf(join(ROOT, 'apps/worker/dist/main.js'), {})).toBe('worker');
    expect(serviceNameOf(join(ROOT, 'apps/worker/dist/main.js'), { OTEL_SERVICE_NAME: 'audit-writer-eu' })).toBe('audit-writer-eu');
  });
});

describe('trace context without the SDK', () => {
  it('records nothing and carries no context', async () => {
    expect(currentTraceparent()).toBeNull();
    expect(contextFromTraceparent('00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01')).toBeUndefined();
    const recording = await inSpan('probe', {}, async (span) => span.isRecording());
    expect(recording).toBe(false);
    await expect(inSpan('failing', {}, async () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
  });
});
