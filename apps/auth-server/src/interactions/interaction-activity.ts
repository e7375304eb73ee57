import { Interaction } from 'oidc-provider';

import { INTERACTION_STORAGE_TTL } from '../provider/configuration.js';

/**
 * The PSU's inactivity limit (PSD2 RTS Art. 4(3)(d): at most 5 minutes). oidc-provider keeps an
 * interaction for INTERACTION_STORAGE_TTL and sets its `exp` to "saved + TTL" on every save, so the last
 * activity is `exp - INTERACTION_STORAGE_TTL`. Keeping the record beyond the limit is what lets an idle
 * journey end at the TPP's redirect_uri with an error instead of a dead-end page.
 */
export class InteractionActivity {
  constructor(private readonly idleSeconds: number) {}

  /** Whether the journey has been idle longer than the limit. */
  isIdle(interaction: Interaction, now = Date.now()): boolean {
    const lastActivity = interaction.exp - INTERACTION_STORAGE_TTL;
    return Math.floor(now / 1000) - lastActivity > this.idleSeconds;
  }

  /** Records activity now (the PSU loaded a page or sent a form). */
  async touch(interaction: Interaction): Promise<void> {
    await interaction.save(INTERACTION_STORAGE_TTL);
  }
}
