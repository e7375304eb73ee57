import { AuthServerConfig } from '@consentry/config';
import {
  AuthoriseAccountAccessConsent,
  AuthorisePaymentConsent,
  PaymentApprovalSeal,
  ReauthenticateAccountAccessConsent,
  RejectAccountAccessConsent,
  RejectPaymentConsent,
} from '@consentry/consents';
import { DataSource } from '@consentry/database';
import { CredentialAuthenticator, EnvironmentKeyManagement } from '@consentry/identity';
import { DynamicModule, Module } from '@nestjs/common';

import { AUTH_SERVER_CONFIG, DATA_SOURCE } from './auth-server.tokens.js';
import { HealthController } from './health/health.controller.js';
import { AssetsController } from './interactions/assets.controller.js';
import { ConsentRequestService } from './interactions/consent-request.service.js';
import { InteractionActivity } from './interactions/interaction-activity.js';
import { InteractionCsrf } from './interactions/interaction-csrf.js';
import { InteractionController } from './interactions/interaction.controller.js';
import { OidcProviderRef } from './provider/oidc-provider.ref.js';
import { RedisReplayMarkers } from './provider/replay-markers.js';
import { RegistrationRequestVerifier } from './registration/registration-request.verifier.js';
import { RegistrationController } from './registration/registration.controller.js';
import { RegistrationService } from './registration/registration.service.js';
import { SoftwareStatementVerifier, TrustedDirectory } from './registration/software-statement.verifier.js';

export interface AuthServerModuleOptions {
  config: AuthServerConfig;
  dataSource: DataSource;
  providerRef: OidcProviderRef;
  interactionCsrfKey: Buffer;
  /** The directory trusted for software statements; without one, dynamic registration is off. */
  trustedDirectory?: TrustedDirectory;
  /** Single-use markers (Redis), here for the registration requests' `jti`s. */
  replayMarkers: RedisReplayMarkers;
}

/**
 * The Nest side of the authorization server: the PSU's pages and TPP registration (the provider itself
 * is mounted raw).
 */
@Module({})
export class AuthServerModule {
  static register(options: AuthServerModuleOptions): DynamicModule {
    const { config, trustedDirectory } = options;
    const registration = trustedDirectory
      ? {
          controllers: [RegistrationController],
          providers: [
            {
              provide: RegistrationRequestVerifier,
              useValue: new RegistrationRequestVerifier(new SoftwareStatementVerifier(trustedDirectory, config.ssaMaxAgeDays), options.replayMarkers),
            },
            RegistrationService,
          ],
        }
      : { controllers: [], providers: [] };
    return {
      module: AuthServerModule,
      controllers: [InteractionController, AssetsController, HealthController, ...registration.controllers],
      providers: [
        ...registration.providers,
        { provide: InteractionActivity, useValue: new InteractionActivity(config.interactionIdleSeconds) },
        { provide: AUTH_SERVER_CONFIG, useValue: options.config },
        { provide: DATA_SOURCE, useValue: options.dataSource },
        { provide: OidcProviderRef, useValue: options.providerRef },
        { provide: InteractionCsrf, useValue: new InteractionCsrf(options.interactionCsrfKey) },
        {
          provide: CredentialAuthenticator,
          useFactory: () => new CredentialAuthenticator(options.dataSource, new EnvironmentKeyManagement(options.config.secretsKeys), {
              maxFailures: config.loginMaxFailures,
              lockoutSeconds: config.loginLockoutSeconds,
              ipMaxFailures: config.loginIpMaxFailures,
              ipWindowSeconds: config.loginIpWindowSeconds,
            }),
        },
        { provide: AuthoriseAccountAccessConsent, useFactory: () => new AuthoriseAccountAccessConsent(options.dataSource, config.consentAwaitingMaxAgeSeconds) },
        { provide: ReauthenticateAccountAccessConsent, useFactory: () => new ReauthenticateAccountAccessConsent(options.dataSource) },
        { provide: RejectAccountAccessConsent, useFactory: () => new RejectAccountAccessConsent(options.dataSource) },
        { provide: AuthorisePaymentConsent, useFactory: () => new AuthorisePaymentConsent(options.dataSource, new PaymentApprovalSeal(options.config.secretsKeys), config.consentAwaitingMaxAgeSeconds) },
        { provide: RejectPaymentConsent, useFactory: () => new RejectPaymentConsent(options.dataSource) },
        ConsentRequestService,
      ],
    };
  }
}
