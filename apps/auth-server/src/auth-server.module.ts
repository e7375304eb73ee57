import { AuthServerConfig } from '@consentry/config';
import { AuthoriseAccountAccessConsent, RejectAccountAccessConsent } from '@consentry/consents';
import { DataSource } from '@consentry/database';
import { CredentialAuthenticator, EnvironmentKeyManagement } from '@consentry/identity';
import { DynamicModule, Module } from '@nestjs/common';

import { AUTH_SERVER_CONFIG, DATA_SOURCE } from './auth-server.tokens.js';
import { HealthController } from './health/health.controller.js';
import { AssetsController } from './interactions/assets.controller.js';
import { ConsentRequestService } from './interactions/consent-request.service.js';
import { InteractionCsrf } from './interactions/interaction-csrf.js';
import { InteractionController } from './interactions/interaction.controller.js';
import { OidcProviderRef } from './provider/oidc-provider.ref.js';

export interface AuthServerModuleOptions {
  config: AuthServerConfig;
  dataSource: DataSource;
  providerRef: OidcProviderRef;
  interactionCsrfKey: Buffer;
}

/** The Nest side of the authorization server: the PSU's pages (the provider itself is mounted raw). */
@Module({})
export class AuthServerModule {
  static register(options: AuthServerModuleOptions): DynamicModule {
    return {
      module: AuthServerModule,
      controllers: [InteractionController, AssetsController, HealthController],
      providers: [
        { provide: AUTH_SERVER_CONFIG, useValue: options.config },
        { provide: DATA_SOURCE, useValue: options.dataSource },
        { provide: OidcProviderRef, useValue: options.providerRef },
        { provide: InteractionCsrf, useValue: new InteractionCsrf(options.interactionCsrfKey) },
        {
          provide: CredentialAuthenticator,
          useFactory: () => new CredentialAuthenticator(options.dataSource, new EnvironmentKeyManagement(options.config.secretsKey)),
        },
        { provide: AuthoriseAccountAccessConsent, useFactory: () => new AuthoriseAccountAccessConsent(options.dataSource) },
        { provide: RejectAccountAccessConsent, useFactory: () => new RejectAccountAccessConsent(options.dataSource) },
        ConsentRequestService,
      ],
    };
  }
}
