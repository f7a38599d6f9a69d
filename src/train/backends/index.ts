export * from './backend.js';
export { registerBackendCandidate, registeredBackendNames, resolveBackend } from './backend-impl.js';

import type { ResolvedBackend } from './backend.js';
import { resolveBackend } from './backend-impl.js';
import { registerDefaultBackends } from './candidates.js';

/** Starts the best available backend (or the forced one) with the default candidates registered. */
export async function startTrainingBackend(forced?: string): Promise<ResolvedBackend> {
  registerDefaultBackends();
  return resolveBackend(forced);
}
