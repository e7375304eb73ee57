// Test-only entry of @consentry/banking (package.json `exports["./test-support"]`, source only): outside
// src/, so the lib's build never compiles or ships it.
export { serveBankConnector } from './connector-server.js';
export type { ConnectorServer, FaultyAnswer } from './connector-server.js';
export { CONNECTOR_OPERATIONS } from '../src/connector-protocol.js';
export type { ConnectorOperation } from '../src/connector-protocol.js';
