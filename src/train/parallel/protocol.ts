import type { LossNormalisers, ShardLossKind } from './shard-loss.js';

/**
 * Messages between the main thread (worker-pool.ts) and a gradient worker (gradient-worker.ts). Big arrays
 * travel as transferred ArrayBuffers (inputs, gradients) or through one SharedArrayBuffer (the weights, written
 * once per step by the main thread and read by every worker).
 */
export interface InitMessage {
  type: 'init';
  /** tfjs backend the worker starts: the main thread's ('wasm' or 'cpu'). */
  backend: 'wasm' | 'cpu';
  /** `model.toJSON(null, false)`: the layers topology (weights follow with each step). */
  modelTopology: string;
  /** Flat trainable weights, in `model.trainableWeights` order (Float32). */
  weights: SharedArrayBuffer;
  /** Synchronised-BatchNorm all-reduce buffer (shared-all-reduce.ts), its worker count and slot size. */
  reduce: SharedArrayBuffer;
  workers: number;
  slotFloats: number;
}

export interface StepMessage {
  type: 'step';
  id: number;
  /** NHWC (or [n, features]) input of this shard. */
  x: Float32Array;
  shape: number[];
  labels: Int32Array;
  teacherLogits?: Float32Array;
  spec: ShardLossKind;
  norm: LossNormalisers;
  /** This shard's slot in the all-reduce, the number of shards this step, and the whole batch's rows. */
  rank: number;
  participants: number;
  totalRows: number;
}

export type ToWorker = InitMessage | StepMessage | { type: 'close' };

export interface ReadyReply {
  type: 'ready';
  device: string;
}

export interface StepReply {
  type: 'step';
  id: number;
  /** This shard's share of the batch loss (shard losses sum to the batch loss). */
  loss: number;
  correct: number;
  rows: number;
  /** Flat gradients in trainable-weight order. */
  grads: Float32Array;
  /** Per BatchNorm layer (model order): batch mean then batch variance of this shard, flat. */
  bnStats: Float32Array;
}

export interface ErrorReply {
  type: 'error';
  id?: number;
  message: string;
}

export type FromWorker = ReadyReply | StepReply | ErrorReply;
