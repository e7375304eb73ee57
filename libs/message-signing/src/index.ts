export {
  isMessageSigningJwk,
  MESSAGE_SIGNATURE_HEADER,
  MESSAGE_SIGNING_ALG,
  MessageSignatureError,
  MessageSignatureErrorCode,
  messageSignatureHeader,
  OB_CRITICAL_CLAIMS,
  OB_IAT,
  OB_ISS,
  OB_TAN,
  SANDBOX_ORGANISATION_ID,
  signMessage,
  verifyMessageSignature,
} from './ob-message-signature.js';
export type { MessageSignatureExpectations, MessageSignatureHeader, MessageSigner, VerifiedMessageSignature } from './ob-message-signature.js';
export { generateMessageSigningJwk, publicJwkOf, tppMessageIssuer } from './message-signing-key.js';
export type { TppSigningProfile } from './message-signing-key.js';
export { BankSigningKeys, devMessageSigningJwksPath } from './bank-signing-keys.js';
export type { BankSigningKeysConfig } from './bank-signing-keys.js';
