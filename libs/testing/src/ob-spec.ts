import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

import { Ajv, ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import yaml from 'js-yaml';

/**
 * The official UK OB specifications, read where the project keeps them: ../shared/specs beside the
 * checkout (never copied into the repository). OB_SPECS_DIR overrides.
 */
export const OB_SPECS_DIR = process.env.OB_SPECS_DIR ?? resolve(dirname(fileURLToPath(import.meta.url)), '../../../../shared/specs');

export type ObSpecFile = 'account-info' | 'payment-initiation' | 'confirmation-funds' | 'vrp' | 'events' | 'event-notifications';

const validators = new Map<ObSpecFile, Ajv>();

function load(file: ObSpecFile): Ajv {
  const cached = validators.get(file);
  if (cached) return cached;
  const path = `${OB_SPECS_DIR}/uk-open-banking-v4.0/${file}-openapi.yaml`;
  const document = yaml.load(readFileSync(path, 'utf8')) as { components: Record<string, unknown> };
  // OpenAPI 3.0 schemas: non-JSON-Schema keywords (example, x-namespaced-enum) are ignored, not errors.
  const ajv = new Ajv({ strict: false, allErrors: true });
  addFormats.default(ajv);
  for (const format of ['int32', 'int64', 'float', 'double']) ajv.addFormat(format, true);
  ajv.addSchema({ components: document.components }, file);
  validators.set(file, ajv);
  return ajv;
}

/** A validator for one schema of an official v4.0 file, its $refs resolved within that file. */
export function obSchema(name: string, file: ObSpecFile = 'account-info'): ValidateFunction {
  const validate = load(file).getSchema(`${file}#/components/schemas/${name}`);
  if (!validate) throw new Error(`no schema ${name} in ${file}-openapi.yaml`);
  return validate;
}

/** The violations of `body` against the named schema, as readable lines; [] when valid. */
export function obSchemaErrors(name: string, body: unknown, file: ObSpecFile = 'account-info'): string[] {
  const validate = obSchema(name, file);
  return validate(body) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message}`);
}

/** Throws with ajv's errors when `body` is not valid against the named schema. */
export function expectObSchema(name: string, body: unknown, file: ObSpecFile = 'account-info'): void {
  const errors = obSchemaErrors(name, body, file);
  if (errors.length > 0) {
    throw new Error(`${name} violated:\n${errors.join('\n')}\nbody: ${JSON.stringify(body, null, 2).slice(0, 4000)}`);
  }
}
