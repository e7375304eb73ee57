import { MailDev } from 'maildev';

import { findFreePort } from './free-port.js';

/** A mail as maildev's REST API returns it (the fields tests read). */
export interface CaughtMail {
  id: string;
  subject: string;
  text: string;
  from: Array<{ address: string }>;
  to: Array<{ address: string }>;
}

export interface MailCatcher {
  smtpUrl: string;
  webUrl: string;
  /** Every mail caught so far, read through maildev's REST API (`GET /api/email`). */
  mails(): Promise<CaughtMail[]>;
  stop(): Promise<void>;
}

/** A private maildev on free ports (or on the SMTP port given: a test that starts the mail server late). */
export async function startMailCatcher(options: { smtpPort?: number } = {}): Promise<MailCatcher> {
  const smtp = options.smtpPort ?? (await findFreePort());
  const web = await findFreePort();
  const maildev = new MailDev({ smtp, web, ip: '127.0.0.1', webIp: '127.0.0.1', silent: true });
  await maildev.start();
  const webUrl = `http://127.0.0.1:${web}`;
  return {
    smtpUrl: `smtp://127.0.0.1:${smtp}`,
    webUrl,
    mails: async () => {
      const response = await fetch(`${webUrl}/api/email`);
      if (!response.ok) throw new Error(`maildev answered ${response.status}`);
      return (await response.json()) as CaughtMail[];
    },
    stop: () => maildev.stop(),
  };
}
