import { NestFastifyApplication } from '@nestjs/platform-fastify';
import { DocumentBuilder, OpenAPIObject, SwaggerModule } from '@nestjs/swagger';

import { isAdminPath } from './admin-network.hook.js';
import { PublicUrl } from './public-url.js';

/** Where the API describes itself: Swagger UI at /docs, the OpenAPI JSON at /docs-json. */
export const API_DOCS_PATH = 'docs';

/**
 * The admin surfaces' own document, JSON only. Under /admin, so the admin network hook answers it to
 * clients inside ADMIN_ALLOWED_CIDRS only, and everyone else gets the 404 of any admin path.
 */
export const ADMIN_API_DOCS_JSON_PATH = 'admin/docs-json';

// Swagger UI's page (@nestjs/swagger's template) carries two inline <style> elements and one inline style
// attribute (its SVG sprite's), and the standalone preset's top-bar logo inserts one more <style> (inside the
// SVG); the CSP allows exactly those four by hash and no other inline style. Scripts: only the same-origin
// files (the bundles, and the init script that holds the document), never inline script or eval. The
// stylesheet draws its icons as data: images. A new swagger-ui or template changes the hashes:
// apps/api/e2e/http/api-docs-exposure.e2e-spec.ts hashes the served page and loads it in Chromium.
const SWAGGER_UI_INLINE_STYLES = [
  "'sha256-/jDKvbQ8cdux+c5epDIqkjHbXDaIY8RucT1PmAe8FG4='",
  "'sha256-eaPyLWVdqMc60xuz5bTp2yBRgVpQSoUggte1+40ONPU='",
  "'sha256-RL3ie0nH+Lzz2YNqQN83mnU0J1ot4QL7b99vMdIX99w='",
  // A style attribute is allowed only by 'unsafe-hashes' with its hash (CSP Level 3): this one only.
  "'unsafe-hashes'",
  "'sha256-ezdv1bOGcoOD7FKudKN0Y2Mb763O6qVtM8LT2mtanIU='",
];
const API_DOCS_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  `style-src 'self' ${SWAGGER_UI_INLINE_STYLES.join(' ')}`,
  "img-src 'self' data:",
  // "Try it out" calls the API on this origin.
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

/** Headers of every answer under /docs (the UI, its assets, /docs-json): no framing, no referrer, the UI's CSP. */
export const API_DOCS_HEADERS = {
  'content-security-policy': API_DOCS_CSP,
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
} as const;

const API_DOCS_ROUTES = new RegExp(`^/${API_DOCS_PATH}(/|-json$|$)`);

/** Whether a routed path is the docs' UI, one of its assets or the public document. */
export function isApiDocsPath(path: string): boolean {
  return API_DOCS_ROUTES.test(path);
}

/**
 * The OpenAPI document of every route of the API, generated from the controllers' routes and decorators
 * and the DTOs, so it moves with the code. The official OB files remain the contract for the wire shapes.
 * Served only split in two (serveApiDocs): the admin paths never reach the public document.
 */
export function createApiDocument(app: NestFastifyApplication, publicUrl: PublicUrl): OpenAPIObject {
  const config = new DocumentBuilder()
    .setTitle('Consentry API')
    .setDescription(
      'UK Open Banking Read/Write v4.0 (DPoP-bound FAPI 2.0 tokens): account information (AISP), payment initiation ' +
        '(domestic, scheduled and standing-order payments, VRP), confirmation of funds (CBPII) and event notifications; ' +
        "and the customer API behind the PSU's dashboard. Payment requests and answers are signed (x-jws-signature). " +
        'Response bodies follow the official OB v4.0 schemas named in each operation.',
    )
    .setVersion('4.0')
    .addServer(publicUrl.value)
    .addSecurity('DPoP', { type: 'apiKey', in: 'header', name: 'Authorization', description: 'DPoP <access token>, with a DPoP proof header' })
    .build();
  return SwaggerModule.createDocument(app, config);
}

/**
 * The public document (/docs, /docs-json) holds every path but the admin API's and the admin console's:
 * outsiders get the same 404 for every admin path, existing or not, so no document may list them. Those
 * are in the admin document at /admin/docs-json, which only ADMIN_ALLOWED_CIDRS reach.
 */
export function serveApiDocs(app: NestFastifyApplication, publicUrl: PublicUrl): void {
  // Built lazily: the servers list follows the public URL, known only after listening on port 0.
  let whole: OpenAPIObject | undefined;
  const document = () => (whole ??= createApiDocument(app, publicUrl));
  SwaggerModule.setup(API_DOCS_PATH, app, () => documentOf(document(), (path) => !isAdminPath(path)), {
    jsonDocumentUrl: `${API_DOCS_PATH}-json`,
    raw: ['json'],
  });
  SwaggerModule.setup(
    'admin/docs',
    app,
    () => {
      const admin = documentOf(document(), isAdminPath);
      return { ...admin, info: { ...admin.info, title: 'Consentry admin API', description: 'The admin API (an admin session, POST /admin/sessions) and the admin console pages.' } };
    },
    { ui: false, jsonDocumentUrl: ADMIN_API_DOCS_JSON_PATH, raw: ['json'] },
  );
}

/** The document cut down to the paths `keep` accepts, and the component schemas those paths use. */
function documentOf(document: OpenAPIObject, keep: (path: string) => boolean): OpenAPIObject {
  const paths = Object.fromEntries(Object.entries(document.paths).filter(([path]) => keep(path)));
  const schemas = document.components?.schemas ?? {};
  const used = new Set<string>();
  const visit = (value: unknown): void => {
    if (Array.isArray(value)) {
      for (const item of value) visit(item);
    } else if (typeof value === 'object' && value !== null) {
      for (const [key, member] of Object.entries(value)) {
        const name = key === '$ref' && typeof member === 'string' ? /^#\/components\/schemas\/(.+)$/.exec(member)?.[1] : undefined;
        if (name !== undefined && !used.has(name) && schemas[name]) {
          used.add(name);
          visit(schemas[name]);
        } else {
          visit(member);
        }
      }
    }
  };
  visit(paths);
  return {
    ...document,
    paths,
    components: { ...document.components, schemas: Object.fromEntries(Object.entries(schemas).filter(([name]) => used.has(name))) },
  };
}
