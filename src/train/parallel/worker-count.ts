import { availableParallelism, loadavg } from 'node:os';
import { MaskEdgeError } from '../../core/errors.js';
import { defaultWorkerEntry } from './worker-pool.js';

/**
 * How many data-parallel gradient workers a training run uses (`--workers N|auto`, default auto).
 *
 * auto = 2 workers only when all hold (else 1, the single-thread path):
 *  - the backend is wasm or cpu (single-threaded per thread; libtensorflow backends use every core already),
 *  - the batch has at least 32 rows (smaller shards are dominated by the per-step exchange),
 *  - the machine has 2+ cores and at least one of them is free (cores - 1-minute load average >= 1): a
 *    second worker on a saturated machine only takes CPU from other processes (bench/RESULTS.md,
 *    "Data-parallel training over worker threads"),
 *  - the compiled worker entry exists (runs from TypeScript sources have none).
 * More than 2 was not measured, so auto never picks more. An explicit N is obeyed on wasm/cpu (E_BACKEND at
 * once when the worker entry is not built).
 */
export interface WorkerCountInput {
  requested: number | 'auto';
  backend: string;
  batchSize: number;
  cores?: number;
  load?: number;
  entryBuilt?: boolean;
}

export function resolveWorkerCount(input: WorkerCountInput): { workers: number; reason: string } {
  const cores = input.cores ?? availableParallelism();
  const load = input.load ?? loadavg()[0]!;
  const entryBuilt = input.entryBuilt ?? defaultWorkerEntry() !== undefined;
  if (input.backend === 'webgpu' || input.backend === 'tfjs-node-gpu') {
    return { workers: 1, reason: `backend ${input.backend} runs on the GPU: a larger --batch-size fills it` };
  }
  if (input.backend !== 'wasm' && input.backend !== 'cpu') {
    return { workers: 1, reason: `backend ${input.backend} is multi-threaded itself` };
  }
  if (input.requested !== 'auto') {
    if (input.requested > 1 && !entryBuilt) {
      // Fail at the start of the run, not after the teachers have trained.
      throw new MaskEdgeError('E_BACKEND', 'gradient worker entry not built (run the compiled dist/)', {
        detail: { workers: input.requested },
      });
    }
    return { workers: input.requested, reason: `--workers ${input.requested}` };
  }
  if (!entryBuilt) return { workers: 1, reason: 'worker entry not built (TypeScript sources)' };
  if (input.batchSize < 32) return { workers: 1, reason: `batch ${input.batchSize} < 32` };
  if (cores < 2) return { workers: 1, reason: `${cores} core` };
  if (cores - load < 1) {
    return { workers: 1, reason: `no free core (load ${load.toFixed(1)} on ${cores} cores)` };
  }
  return { workers: 2, reason: `auto: ${cores} cores, load ${load.toFixed(1)}, batch ${input.batchSize}` };
}
