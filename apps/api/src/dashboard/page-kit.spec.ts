import type { ApiConfig } from '@consentry/config';
import { describe, expect, it } from 'vitest';

import { escapeHtml, loginForm, renderPage } from './page-html.js';
import { PageCsrf } from './page-csrf.js';
import { isCompleteLogin, parseLoginForm } from './page-forms.js';
import { PageException } from './page.exception.js';

const config = { secretsKey: Buffer.alloc(32, 7) } as ApiConfig;

describe('page kit', () => {
  it('escapes everything it renders', () => {
    expect(escapeHtml(`<script>alert("x")</script>&'`)).toBe('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;&#39;');
    const html = renderPage({ title: '<t>', application: 'A', stylesheet: '/s.css', body: loginForm({ action: '/x', csrf: '"c"', heading: 'H', intro: 'I', username: '"><img src=x>' }) });
    expect(html).not.toContain('<img');
    expect(html).toContain('value="&quot;&gt;&lt;img src=x&gt;"');
    expect(html).not.toMatch(/<script|\sstyle=|\son[a-z]+=/i);
  });

  it('binds CSRF tokens to the session and the realm', () => {
    const csrf = new PageCsrf(config);
    const token = csrf.forSession('customer', 'session-a');
    expect(() => csrf.assertForSession('customer', 'session-a', token)).not.toThrow();
    expect(() => csrf.assertForSession('customer', 'session-b', token)).toThrow(PageException);
    expect(() => csrf.assertForSession('admin', 'session-a', token)).toThrow(PageException);
    expect(() => csrf.assertForSession('customer', 'session-a', undefined)).toThrow(PageException);
    expect(() => csrf.assertForLogin('customer', null, csrf.forLogin('customer', 'n'))).toThrow(PageException);
    expect(() => csrf.assertForLogin('customer', 'n', csrf.forLogin('customer', 'n'))).not.toThrow();
    // Another key (another SECRETS_KEY) gives other tokens.
    expect(new PageCsrf({ secretsKey: Buffer.alloc(32, 8) } as ApiConfig).forSession('customer', 'session-a')).not.toBe(token);
  });

  it('reads the sign-in form and refuses repeated or oversized fields', () => {
    const form = parseLoginForm({ csrf: 'c', username: ' alice ', password: 'pw', otp: '123 456' });
    expect(form).toEqual({ csrf: 'c', username: 'alice', password: 'pw', otp: '123456' });
    expect(isCompleteLogin(form)).toBe(true);
    expect(isCompleteLogin({ ...form, otp: '12345' })).toBe(false);
    expect(() => parseLoginForm({ username: ['a', 'b'] })).toThrow(PageException);
    expect(() => parseLoginForm({ password: 'x'.repeat(257) })).toThrow(PageException);
  });
});
