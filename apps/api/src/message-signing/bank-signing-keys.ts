// The bank's message-signing keys live in @consentry/message-signing: the worker signs event notifications
// with the same keys the API signs responses with and publishes.
export { BankSigningKeys, devMessageSigningJwksPath } from '@consentry/message-signing';
