import type * as tf from '@tensorflow/tfjs';
import type { SeededRandom } from '../../core/seeded-random.js';

export const KD_METHODS = ['vanilla', 'noisy-teacher', 'self-training', 'messy-collab'] as const;
export type KdName = (typeof KD_METHODS)[number];

export interface KdParams {
  temperature: number;
  alpha: number;
  classWeights?: number[];
  /** noisy-teacher: std of the multiplicative logit noise. */
  noiseStd: number;
  /** noisy-teacher: fraction of samples whose teacher logits are perturbed. */
  noiseFraction: number;
  /** messy-collab: fraction of each batch whose hard label is replaced by a random other label. */
  labelNoiseFraction: number;
}

export const DEFAULT_KD_PARAMS: KdParams = {
  temperature: 4,
  alpha: 0.7,
  noiseStd: 0.1,
  noiseFraction: 0.5,
  labelNoiseFraction: 0.1,
};

export interface KdBatch {
  studentLogits: tf.Tensor2D;
  teacherLogits: tf.Tensor2D;
  labels: number[];
}

/** One distillation method: which model teaches, and the loss for one batch (randomness from `rng`). */
export interface KdMethod {
  name: KdName;
  /** 'teacher' = the best teacher; 'previous-student' = the student of the previous round (or the teacher in round 1). */
  teacherSource: 'teacher' | 'previous-student';
  loss(batch: KdBatch, params: KdParams, rng: SeededRandom): tf.Scalar;
}
