import { MaskEdgeError } from '../../core/errors.js';
import type { BackendCandidate, BackendFailure, ResolvedBackend, StartedBackend } from './backend.js';

/**
 * Backend registry in the style of onnxruntime-web's backend-impl: candidates are registered with a priority;
 * resolving tries them from the highest priority down, collects every failure, and returns the first that
 * starts. A forced name tries that one only. Started backends are cached, so a second resolve is free.
 */
interface Entry {
  candidate: BackendCandidate;
  priority: number;
  started?: StartedBackend;
}

const registry = new Map<string, Entry>();

export function registerBackendCandidate(candidate: BackendCandidate, priority: number): void {
  const existing = registry.get(candidate.name);
  if (existing && existing.priority > priority) return;
  registry.set(candidate.name, { candidate, priority });
}

export function registeredBackendNames(): string[] {
  return [...registry.entries()].sort((a, b) => b[1].priority - a[1].priority).map(([name]) => name);
}

/** Human-readable reason for a failed dynamic import or start. */
export function describeStartFailure(err: unknown): string {
  const e = err as { code?: string; message?: string };
  if (e?.code === 'ERR_MODULE_NOT_FOUND' || e?.code === 'MODULE_NOT_FOUND') {
    const match = /Cannot find (?:package|module) '([^']+)'/.exec(e.message ?? '');
    return `package not installed${match ? ` (${match[1]})` : ''}`;
  }
  return (e?.message ?? String(err)).split('\n')[0] ?? 'unknown error';
}

export async function resolveBackend(forced?: string): Promise<ResolvedBackend> {
  const names = forced ? [forced] : registeredBackendNames();
  if (forced && !registry.has(forced)) {
    throw new MaskEdgeError('E_USAGE', `unknown backend "${forced}"`, {
      detail: { backend: forced, known: registeredBackendNames() },
    });
  }
  const failures: BackendFailure[] = [];
  for (const name of names) {
    const entry = registry.get(name);
    if (!entry) continue;
    if (entry.started) return { ...entry.started, failures };
    try {
      entry.started = await entry.candidate.start();
      return { ...entry.started, failures };
    } catch (err) {
      failures.push({ name, error: describeStartFailure(err) });
    }
  }
  throw new MaskEdgeError(
    'E_BACKEND',
    `no training backend could start: ${failures.map((f) => `${f.name}: ${f.error}`).join('; ')}`,
    { detail: { tried: names, failures } },
  );
}
