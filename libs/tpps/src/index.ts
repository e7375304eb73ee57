export { DeregisterTpp } from './deregister-tpp.use-case.js';
export { ReinstateTpp, SuspendTpp } from './tpp-admin.use-cases.js';
export { TPP_TRANSITIONS, tppView } from './tpp-lifecycle.js';
export type { TppLifecycleAction, TppRow, TppView } from './tpp-lifecycle.js';
export { DeregisterTppCommand, TppStatusCommand } from './tpp.commands.js';
export { TppException, TppExceptionCode } from './tpp.exception.js';
