/** An alert as it is stored, enough to write its email. */
export interface AlertForEmail {
  alertId: string;
  title: string;
  body: string;
  createdAt: Date;
}

export interface AlertEmail {
  subject: string;
  text: string;
}

/**
 * The email of an alert: the alert's own words and where to look, never a link (a link in a bank's
 * email is what phishing copies: customers are told to open the dashboard themselves).
 */
export function renderAlertEmail(alert: AlertForEmail): AlertEmail {
  return {
    subject: `Consentry alert: ${alert.title}`,
    text: [
      alert.body,
      '',
      `When: ${alert.createdAt.toISOString().replace('T', ' ').slice(0, 16)} UTC`,
      `Reference: ${alert.alertId}`,
      '',
      'See all your alerts on your Consentry dashboard: open it yourself, as you always do. We never send you a link to sign in.',
    ].join('\n'),
  };
}

/** An email address for logs and audit: the first character of the local part and the domain. */
export function maskEmail(address: string): string {
  const at = address.lastIndexOf('@');
  if (at <= 0) return '***';
  return `${address[0]}***${address.slice(at)}`;
}
