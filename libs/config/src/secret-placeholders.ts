import { ConfigError } from './config.error.js';
import type { PlatformMode } from './platform.config.js';

// deploy/kubernetes/secrets.yaml's stand-ins say REPLACE-ME (docs/deployment.md#secrets); other templates
// say CHANGE-ME. Each is published, so a copied manifest applied unchanged must not start production. As a
// word only: a host named exchange-metrics is not a stand-in.
const PLACEHOLDER = /(?<![A-Za-z0-9])(REPLACE|CHANGE)[-_ ]?ME(?![A-Za-z])/i;

/** Whether a secret (or the text a key decodes to) is still a template's stand-in. */
export function isPlaceholder(text: string): boolean {
  return PLACEHOLDER.test(text);
}

/**
 * The value of a credential-bearing variable (a URL with a password, a connector token), which production
 * refuses while it holds a stand-in. The message never quotes the value: the rest of it may be real.
 */
export function refusePlaceholder<T extends string | undefined>(name: string, value: T, mode: PlatformMode): T {
  if (mode === 'production' && value !== undefined && isPlaceholder(value)) {
    throw new ConfigError(name, 'holds a REPLACE-ME placeholder (deploy/kubernetes/secrets.yaml): replace it with the real value from your secret store');
  }
  return value;
}
