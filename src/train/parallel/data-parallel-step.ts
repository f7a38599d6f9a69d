import * as tf from '@tensorflow/tfjs';
import { MaskEdgeError } from '../../core/errors.js';
import type { trainingForward } from '../loop/training-forward.js';
import type { StepLoss } from './shard-loss.js';
import { GradientWorkerPool } from './worker-pool.js';

type BnStash = Parameters<typeof trainingForward>[2];

export interface ParallelGradients {
  loss: number;
  correct: number;
  /** Gradients by variable name, ready for `optimizer.applyGradients`. */
  grads: tf.NamedTensorMap;
  /** Whole-batch BatchNorm statistics, ready for `updateMovingStats`. */
  stash: BnStash;
}

/**
 * The trainer's side of data-parallel training: flattens the model's current weights for the pool, sends the
 * batch, and turns the combined reply back into tensors. The optimizer step and the moving-statistics update
 * stay in the trainer, exactly as in a single-thread step, so both paths share checkpoints and resume.
 */
export class DataParallelStep {
  private constructor(
    private readonly pool: GradientWorkerPool,
    private readonly variables: tf.Variable[],
    private readonly bnLayers: tf.layers.Layer[],
  ) {}

  get workers(): number {
    return this.pool.size;
  }

  get device(): string {
    return this.pool.device;
  }

  static async start(
    model: tf.LayersModel,
    variables: tf.Variable[],
    workers: number,
    entry?: string | URL,
  ): Promise<DataParallelStep> {
    const backend = tf.getBackend();
    if (backend !== 'wasm' && backend !== 'cpu') {
      throw new MaskEdgeError(
        'E_UNSUPPORTED',
        `data-parallel workers need the wasm or cpu backend, not ${backend}`,
        {
          detail: { backend, workers },
        },
      );
    }
    const bnLayers = model.layers.filter((l) => l.getClassName() === 'BatchNormalization');
    const pool = await GradientWorkerPool.start({
      workers,
      backend,
      modelTopology: JSON.stringify(model.toJSON(null, false)),
      weightCount: variables.reduce((s, v) => s + v.size, 0),
      bnWidths: bnLayers.map((l) => l.weights[0]!.shape[0]!),
      ...(entry ? { entry } : {}),
    });
    return new DataParallelStep(pool, variables, bnLayers);
  }

  async step(x: tf.Tensor, loss: StepLoss): Promise<ParallelGradients> {
    const weights = new Float32Array(this.variables.reduce((s, v) => s + v.size, 0));
    let offset = 0;
    for (const v of this.variables) {
      weights.set(v.dataSync() as Float32Array, offset);
      offset += v.size;
    }
    const input = (await x.data()) as Float32Array;
    const combined = await this.pool.step(weights, input, x.shape, loss);
    const grads: tf.NamedTensorMap = {};
    offset = 0;
    for (const v of this.variables) {
      grads[v.name] = tf.tensor(combined.grads.subarray(offset, offset + v.size), v.shape);
      offset += v.size;
    }
    const stash: BnStash = [];
    offset = 0;
    for (const layer of this.bnLayers) {
      const c = layer.weights[0]!.shape[0]!;
      stash.push({
        layer,
        mean: tf.tensor1d(combined.bnStats.subarray(offset, offset + c)),
        variance: tf.tensor1d(combined.bnStats.subarray(offset + c, offset + 2 * c)),
      });
      offset += 2 * c;
    }
    return { loss: combined.loss, correct: combined.correct, grads, stash };
  }

  async close(): Promise<void> {
    await this.pool.close();
  }
}
