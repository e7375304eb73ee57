/** The official v4.0 schemas: one loader for every test suite, in @consentry/testing. */
export { expectObSchema, obSchema } from '@consentry/testing';
