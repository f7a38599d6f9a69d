import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { MaskEdgeError } from '../../core/errors.js';
import type { FromWorker, StepMessage, StepReply, ToWorker } from './protocol.js';
import { type LossNormalisers, lossNormalisers, type StepLoss } from './shard-loss.js';
import { abortAllReduce, allReduceBuffer } from './shared-all-reduce.js';

/**
 * A pool of gradient workers (gradient-worker.ts) for data-parallel training. Each step the batch is cut into
 * one contiguous shard per worker (sizes differ by at most one row); shard inputs are transferred, not copied;
 * the current weights are written once into a SharedArrayBuffer every worker reads. The replies are combined
 * here: losses and gradients summed (each shard's loss is already scaled by its share of the batch
 * normalisers). BatchNorm is synchronised between the workers during the pass (shared-all-reduce.ts), so a
 * split batch gives the single-thread step's gradients and statistics.
 *
 * A worker that dies, throws outside a step or fails a step rejects the pending step with a coded E_BACKEND
 * error and terminates the pool; no step waits forever on a dead worker.
 */
export interface PoolOptions {
  workers: number;
  backend: 'wasm' | 'cpu';
  modelTopology: string;
  /** Total trainable weights (floats). */
  weightCount: number;
  /** Channels of each BatchNorm layer, in model order (sizes the synchronised-BatchNorm all-reduce). */
  bnWidths: number[];
  /** Worker entry (a .js file); default: the compiled gradient-worker.js next to this module. */
  entry?: string | URL;
}

export interface CombinedStep {
  loss: number;
  correct: number;
  grads: Float32Array;
  /** Per BatchNorm layer, [mean..., variance...] of the whole batch, flat like a worker's bnStats. */
  bnStats: Float32Array;
}

/** The compiled worker entry next to this module, or undefined when running from TypeScript sources. */
export function defaultWorkerEntry(): URL | undefined {
  const url = new URL('./gradient-worker.js', import.meta.url);
  return existsSync(fileURLToPath(url)) ? url : undefined;
}

interface Pending {
  resolve(reply: StepReply): void;
  reject(err: Error): void;
}

export class GradientWorkerPool {
  readonly size: number;
  readonly device: string;
  private readonly workers: Worker[];
  private readonly weights: Float32Array;
  private readonly pending = new Map<number, Pending>();
  private nextId = 0;
  private failure: MaskEdgeError | undefined;

  private constructor(
    workers: Worker[],
    weights: Float32Array,
    private readonly reduce: SharedArrayBuffer,
    device: string,
  ) {
    this.workers = workers;
    this.size = workers.length;
    this.weights = weights;
    this.device = device;
  }

  static async start(options: PoolOptions): Promise<GradientWorkerPool> {
    const entry = options.entry ?? defaultWorkerEntry();
    if (!entry) {
      throw new MaskEdgeError('E_BACKEND', 'gradient worker entry not built (run the compiled dist/)', {
        detail: { entry: new URL('./gradient-worker.js', import.meta.url).href },
      });
    }
    const shared = new SharedArrayBuffer(options.weightCount * 4);
    const slotFloats = 2 * Math.max(1, ...options.bnWidths) + 1;
    const reduce = allReduceBuffer(options.workers, slotFloats);
    const workers: Worker[] = [];
    const ready: Promise<string>[] = [];
    for (let i = 0; i < options.workers; i++) {
      const worker = new Worker(entry);
      worker.unref(); // a forgotten pool never keeps the process alive
      workers.push(worker);
      ready.push(
        new Promise<string>((resolve, reject) => {
          const onError = (err: Error) => fail(err.message);
          const onExit = (code: number) => fail(`exited with code ${code}`);
          const onMessage = (m: FromWorker) => {
            off();
            if (m.type === 'ready') resolve(m.device);
            else fail(m.type === 'error' ? m.message : m.type);
          };
          // Remove exactly these listeners: removeAllListeners() would also drop Node's own port bookkeeping.
          const off = () => {
            worker.off('error', onError);
            worker.off('exit', onExit);
            worker.off('message', onMessage);
          };
          const fail = (why: string) => {
            off();
            reject(
              new MaskEdgeError('E_BACKEND', `gradient worker ${i} failed to start: ${why}`, {
                detail: { worker: i, entry: String(entry), error: why },
              }),
            );
          };
          worker.on('error', onError);
          worker.on('exit', onExit);
          worker.on('message', onMessage);
        }),
      );
      const init: ToWorker = {
        type: 'init',
        backend: options.backend,
        modelTopology: options.modelTopology,
        weights: shared,
        reduce,
        workers: options.workers,
        slotFloats,
      };
      worker.postMessage(init);
    }
    let devices: string[];
    try {
      devices = await Promise.all(ready);
    } catch (err) {
      await Promise.all(workers.map((w) => w.terminate()));
      throw err;
    }
    const pool = new GradientWorkerPool(workers, new Float32Array(shared), reduce, devices[0]!);
    workers.forEach((w, i) => {
      pool.watch(w, i);
    });
    return pool;
  }

  private watch(worker: Worker, index: number): void {
    worker.on('message', (m: FromWorker) => {
      if (m.type === 'step') {
        this.pending.get(m.id)?.resolve(m);
      } else if (m.type === 'error') {
        this.fail(index, m.message, m.id);
      }
    });
    worker.on('error', (err) => this.fail(index, err.message));
    worker.on('exit', (code) => this.fail(index, `exited with code ${code}`));
  }

  private fail(worker: number, why: string, id?: number): void {
    if (this.failure) return;
    this.failure = new MaskEdgeError('E_BACKEND', `gradient worker ${worker} failed: ${why}`, {
      detail: { worker, error: why, ...(id === undefined ? {} : { step: id }) },
    });
    abortAllReduce(this.reduce); // workers blocked in a synchronised BatchNorm stop waiting
    for (const p of this.pending.values()) p.reject(this.failure);
    this.pending.clear();
    void this.close();
  }

  /** Rows per worker for a batch of `rows` (contiguous, sizes differ by at most one; empty shards dropped). */
  shardSizes(rows: number): number[] {
    const base = Math.floor(rows / this.size);
    const extra = rows % this.size;
    return Array.from({ length: this.size }, (_, i) => base + (i < extra ? 1 : 0)).filter((n) => n > 0);
  }

  /**
   * One data-parallel gradient computation: `weights` (flat, trainable-weight order), the batch `x` with
   * `shape` (first axis = rows) and the step's loss. Resolves with summed loss and gradients.
   */
  async step(weights: Float32Array, x: Float32Array, shape: number[], loss: StepLoss): Promise<CombinedStep> {
    if (this.failure) throw this.failure;
    this.weights.set(weights);
    const rows = shape[0]!;
    const rowSize = x.length / rows;
    const norm: LossNormalisers = lossNormalisers(loss.spec, loss.labels);
    const sizes = this.shardSizes(rows);
    let start = 0;
    const replies = sizes.map((n, i) => {
      const end = start + n;
      const id = this.nextId++;
      const shard: StepMessage = {
        type: 'step',
        id,
        x: x.slice(start * rowSize, end * rowSize),
        shape: [n, ...shape.slice(1)],
        labels: Int32Array.from(loss.labels.slice(start, end)),
        spec: loss.spec,
        norm,
        rank: i,
        participants: sizes.length,
        totalRows: rows,
      };
      if (loss.teacherLogits) shard.teacherLogits = loss.teacherLogits.slice(start * 3, end * 3);
      start = end;
      const transfer = [shard.x.buffer, shard.labels.buffer] as ArrayBuffer[];
      if (shard.teacherLogits) transfer.push(shard.teacherLogits.buffer as ArrayBuffer);
      return new Promise<StepReply>((resolve, reject) => {
        this.pending.set(id, {
          resolve: (r) => {
            this.pending.delete(id);
            resolve(r);
          },
          reject,
        });
        this.workers[i]!.postMessage(shard, transfer);
      });
    });
    // Workers are unref'd so a forgotten pool never keeps the process alive; a pending step must.
    for (const w of this.workers) w.ref();
    try {
      return combine(await Promise.all(replies));
    } finally {
      for (const w of this.workers) w.unref();
    }
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate().catch(() => 0)));
  }
}

/** Sums losses and gradients. BatchNorm is synchronised, so every reply carries the whole batch's statistics. */
export function combine(replies: StepReply[]): CombinedStep {
  const first = replies[0]!;
  const grads = new Float32Array(first.grads.length);
  let loss = 0;
  let correct = 0;
  for (const r of replies) {
    for (let i = 0; i < grads.length; i++) grads[i]! += r.grads[i]!;
    loss += r.loss;
    correct += r.correct;
  }
  return { loss, correct, grads, bnStats: first.bnStats };
}
