import { describe, expect, it } from 'vitest';

import { loadAlertsConfig } from './alerts.config.js';

describe('alert email settings', () => {
  it('refuses production without SMTP_URL, naming the way out', () => {
    expect(() => loadAlertsConfig({}, 'production')).toThrow('SMTP_URL is required in production mode (or set ALERT_EMAIL=off)');
  });

  it('starts production without SMTP_URL when ALERT_EMAIL=off, with email off', () => {
    expect(loadAlertsConfig({ ALERT_EMAIL: 'off' }, 'production')).toMatchObject({ emailEnabled: false, smtpUrl: undefined });
  });

  it('uses SMTP_URL in production, and the sandbox mail catcher by default in the sandbox', () => {
    expect(loadAlertsConfig({ SMTP_URL: 'smtps://u:p@mail.example.com:465' }, 'production')).toMatchObject({ emailEnabled: true, smtpUrl: 'smtps://u:p@mail.example.com:465' });
    expect(loadAlertsConfig({}, 'sandbox')).toMatchObject({ emailEnabled: true, smtpUrl: 'smtp://127.0.0.1:1025' });
  });

  it('refuses the REPLACE-ME stand-in of deploy/kubernetes/secrets.yaml in production, without quoting it', () => {
    const placeholder = 'smtps://REPLACE-ME:REPLACE-ME@smtp.consentry.example:465';
    expect(() => loadAlertsConfig({ SMTP_URL: placeholder }, 'production')).toThrow(
      'SMTP_URL holds a REPLACE-ME placeholder (deploy/kubernetes/secrets.yaml): replace it with the real value from your secret store',
    );
    expect(() => loadAlertsConfig({ SMTP_URL: placeholder }, 'production')).not.toThrow('smtp.consentry.example');
    expect(loadAlertsConfig({ SMTP_URL: placeholder }, 'sandbox').smtpUrl).toBe(placeholder);
  });

  it('refuses a non-SMTP URL and an unknown switch value', () => {
    expect(() => loadAlertsConfig({ SMTP_URL: 'http://mail.example.com' }, 'sandbox')).toThrow('SMTP_URL');
    expect(() => loadAlertsConfig({ ALERT_EMAIL: 'maybe' }, 'sandbox')).toThrow('ALERT_EMAIL');
  });
});
