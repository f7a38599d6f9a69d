/**
 * The training backend contract. A backend is a tfjs compute backend (tfjs-node-gpu, webgpu, tfjs-node, wasm,
 * cpu) that a candidate can try to start; the registry (backend-impl.ts) tries candidates in priority order and
 * reports every failure together.
 */
export const BACKEND_NAMES = ['tfjs-node-gpu', 'webgpu', 'tfjs-node', 'wasm', 'cpu'] as const;
export type BackendName = (typeof BACKEND_NAMES)[number];

/** What a started backend tells the run (printed and recorded in run.json / metrics.json). */
export interface StartedBackend {
  /** mask-edge's name for it, e.g. 'wasm'. */
  name: BackendName;
  /** tfjs's registered backend name, e.g. 'tensorflow' for tfjs-node. */
  tfjsName: string;
  /** Human-readable device, e.g. 'CPU (WebAssembly SIMD, 1 thread)'. */
  device: string;
}

/** One way to start a backend. `start` throws (any error) when it cannot run here. */
export interface BackendCandidate {
  name: BackendName;
  start(): Promise<StartedBackend>;
}

export interface BackendFailure {
  name: string;
  error: string;
}

/** Result of resolving a backend: the one that started and the failures of those tried before it. */
export interface ResolvedBackend extends StartedBackend {
  failures: BackendFailure[];
}
