import { NestFastifyApplication } from '@nestjs/platform-fastify';
import { DocumentBuilder, OpenAPIObject, SwaggerModule } from '@nestjs/swagger';

import { PublicUrl } from './public-url.js';

/** Where the API describes itself: Swagger UI at /docs, the OpenAPI JSON at /docs-json. */
export const API_DOCS_PATH = 'docs';

/**
 * The OpenAPI document of our own API, generated from the controllers' routes and decorators and the
 * DTOs, so it moves with the code. The official OB files remain the contract for the wire shapes.
 */
export function createApiDocument(app: NestFastifyApplication, publicUrl: PublicUrl): OpenAPIObject {
  const config = new DocumentBuilder()
    .setTitle('Consentry API')
    .setDescription(
      'UK Open Banking Read/Write v4.0 Account and Transaction API (DPoP-bound FAPI 2.0 tokens), the customer API and the admin API. ' +
        'Response bodies follow the official OB v4.0 schemas named in each operation.',
    )
    .setVersion('4.0')
    .addServer(publicUrl.value)
    .addSecurity('DPoP', { type: 'apiKey', in: 'header', name: 'Authorization', description: 'DPoP <access token>, with a DPoP proof header' })
    .build();
  return SwaggerModule.createDocument(app, config);
}

export function serveApiDocs(app: NestFastifyApplication, publicUrl: PublicUrl): void {
  SwaggerModule.setup(API_DOCS_PATH, app, () => createApiDocument(app, publicUrl), { jsonDocumentUrl: `${API_DOCS_PATH}-json`, raw: ['json'] });
}
