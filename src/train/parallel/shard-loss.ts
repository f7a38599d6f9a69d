import * as tf from '@tensorflow/tfjs';
import type { SeededRandom } from '../../core/seeded-random.js';
import type { KdMethod, KdParams } from '../kd/kd-method.js';
import { softTargetKl, weightedCrossEntropy } from '../kd/losses.js';
import { messLabels } from '../kd/messy-collab.js';
import { perturbRows, teacherNoise } from '../kd/noisy-teacher.js';

/**
 * The training loss in a form a gradient worker can rebuild: plain data, no closures. Every KD method
 * reduces to the Hinton loss once its randomness is applied on the main thread (noisy-teacher perturbs the
 * teacher logits, messy-collab swaps labels), with the same `rng` draws in the same order as the method
 * itself, so a data-parallel step sees exactly the inputs a single-thread step would.
 *
 * A shard's loss is scaled by the shard's share of each term's whole-batch normaliser (the sum of the rows'
 * class weights, or the row count without class weights), so the shard losses — and their gradients — SUM to the
 * whole batch's loss and gradient.
 */
export type ShardLossKind =
  | { kind: 'ce'; classWeights?: number[] }
  | { kind: 'hinton'; temperature: number; alpha: number; classWeights?: number[] };

/** The loss of one step: its kind, the (possibly perturbed) labels, and teacher logits rows for 'hinton'. */
export interface StepLoss {
  spec: ShardLossKind;
  labels: number[];
  /** Row-major [labels.length, 3] teacher logits (hinton only). */
  teacherLogits?: Float32Array;
}

/** Whole-batch normalisers the shards divide by. */
export interface LossNormalisers {
  rows: number;
  classWeightSum: number;
}

export function lossNormalisers(spec: ShardLossKind, labels: ArrayLike<number>): LossNormalisers {
  let classWeightSum = 0;
  for (let i = 0; i < labels.length; i++) classWeightSum += spec.classWeights?.[labels[i]!] ?? 1;
  return { rows: labels.length, classWeightSum };
}

/** Loss of one shard, scaled so the shards' losses sum to the whole batch's. */
export function shardLoss(
  logits: tf.Tensor2D,
  spec: ShardLossKind,
  labels: Int32Array,
  teacherLogits: Float32Array | undefined,
  norm: LossNormalisers,
): tf.Scalar {
  return tf.tidy(() => {
    const own = lossNormalisers(spec, labels);
    const labelTensor = tf.tensor1d(labels, 'int32');
    const ce = tf.mul(
      weightedCrossEntropy(logits, labelTensor, spec.classWeights),
      own.classWeightSum / norm.classWeightSum,
    );
    if (spec.kind === 'ce') return ce as tf.Scalar;
    if (!teacherLogits) throw new Error('hinton shard loss needs teacher logits');
    const teacher = tf.tensor2d(teacherLogits, [labels.length, logits.shape[1]]);
    // The soft term is averaged like the hard one: class-weighted when class weights are given (losses.ts).
    const klShare = spec.classWeights ? own.classWeightSum / norm.classWeightSum : own.rows / norm.rows;
    const kl = tf.mul(
      softTargetKl(logits, teacher, spec.temperature, labelTensor, spec.classWeights),
      klShare,
    );
    return tf.add(tf.mul(kl, spec.alpha), tf.mul(ce, 1 - spec.alpha)) as tf.Scalar;
  });
}

/**
 * The step loss of a KD method (or of plain class-weighted cross-entropy when `method` is undefined), with the
 * method's randomness drawn from `rng` exactly as `method.loss` would draw it.
 */
export function kdStepLoss(
  method: KdMethod | undefined,
  params: KdParams,
  labels: number[],
  teacherRows: Float32Array | undefined,
  rng: SeededRandom,
): StepLoss {
  const classWeights = params.classWeights;
  if (!method || !teacherRows) return { spec: { kind: 'ce', classWeights }, labels };
  const spec: ShardLossKind = {
    kind: 'hinton',
    temperature: params.temperature,
    alpha: params.alpha,
    classWeights,
  };
  if (method.name === 'noisy-teacher') {
    const noise = teacherNoise(labels.length, teacherRows.length / labels.length, params, rng);
    return { spec, labels, teacherLogits: perturbRows(teacherRows, noise) };
  }
  if (method.name === 'messy-collab') {
    return {
      spec,
      labels: messLabels(labels, 3, params.labelNoiseFraction, rng),
      teacherLogits: teacherRows,
    };
  }
  return { spec, labels, teacherLogits: teacherRows };
}
