import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

import { Ajv, ErrorObject } from 'ajv';
import addFormats from 'ajv-formats';
import yaml from 'js-yaml';

/** The official UK OB v4.0 OpenAPI files, read where the project keeps them (../shared, never copied in). */
export const SPECS_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '../../../../../shared/specs/uk-open-banking-v4.0');

export interface SpecSchemas {
  /** Errors of `body` against components.schemas[name], as readable strings; [] when valid. */
  validate(name: string, body: unknown): string[];
}

export function loadSpecSchemas(file = 'account-info-openapi.yaml'): SpecSchemas {
  const document = yaml.load(readFileSync(resolve(SPECS_DIR, file), 'utf8')) as { components: { schemas: Record<string, unknown> } };
  const ajv = new Ajv({ strict: false, allErrors: true });
  (addFormats as unknown as (a: Ajv) => void)(ajv);
  ajv.addSchema({ components: document.components }, 'spec');
  return {
    validate(name, body) {
      const validate = ajv.getSchema(`spec#/components/schemas/${name}`);
      if (!validate) throw new Error(`no schema ${name} in ${file}`);
      return validate(body) ? [] : (validate.errors ?? []).map((e: ErrorObject) => `${e.instancePath} ${e.message}`);
    },
  };
}
