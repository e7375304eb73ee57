import { readFileSync } from 'node:fs';

import { Ajv, ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import yaml from 'js-yaml';

/** The official specifications, read where the platform keeps them (never copied into the repo). */
export const SPECS_DIR = process.env.OB_SPECS_DIR ?? '/work/shared/specs';
const ACCOUNT_INFO = `${SPECS_DIR}/uk-open-banking-v4.0/account-info-openapi.yaml`;

let ajv: Ajv | undefined;

function load(): Ajv {
  if (ajv) return ajv;
  const document = yaml.load(readFileSync(ACCOUNT_INFO, 'utf8')) as { components: Record<string, unknown> };
  // OpenAPI 3.0 schemas: non-JSON-Schema keywords (example, x-namespaced-enum) are ignored, not errors.
  ajv = new Ajv({ strict: false, allErrors: true });
  addFormats.default(ajv);
  for (const format of ['int32', 'int64', 'float', 'double']) ajv.addFormat(format, true);
  ajv.addSchema({ components: document.components }, 'account-info');
  return ajv;
}

/** A validator for one schema of the v4.0 account-info spec, its $refs resolved within that file. */
export function obSchema(name: string): ValidateFunction {
  const validate = load().getSchema(`account-info#/components/schemas/${name}`);
  if (!validate) throw new Error(`no schema ${name} in ${ACCOUNT_INFO}`);
  return validate;
}

/** Asserts `body` is valid against the named schema, with ajv's errors in the failure message. */
export function expectObSchema(name: string, body: unknown): void {
  const validate = obSchema(name);
  if (!validate(body)) {
    throw new Error(`${name} violated: ${JSON.stringify(validate.errors, null, 2)}\nbody: ${JSON.stringify(body, null, 2).slice(0, 4000)}`);
  }
}
