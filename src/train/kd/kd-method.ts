import type * as tf from '@tensorflow/tfjs';
import type { SeededRandom } from '../../core/seeded-random.js';

export const KD_METHODS = ['vanilla', 'noisy-teacher', 'self-training', 'messy-collab'] as const;
export type KdName = (typeof KD_METHODS)[number];

export interface KdParams {
  temperature: number;
  alpha: number;
  classWeights?: number[];
  /** noisy-teacher: variance of the multiplicative noise on each teacher logit (KD_Lib: 0.1). */
  noiseVariance: number;
  /** noisy-teacher: probability that a batch's teacher logits are perturbed (KD_Lib's `alpha`, 0.5). */
  noiseProbability: number;
  /** messy-collab: fraction of each batch whose hard label is replaced by a random other label. */
  labelNoiseFraction: number;
}

export const DEFAULT_KD_PARAMS: KdParams = {
  temperature: 4,
  alpha: 0.7,
  noiseVariance: 0.1,
  noiseProbability: 0.5,
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
  /**
   * 'teacher' = the best teacher; 'previous-student' = the student of the previous round, or in a first round a
   * label-only copy of the student trained first (KD_Lib's self-training), never the teacher (see roundTeacher).
   */
  teacherSource: 'teacher' | 'previous-student';
  loss(batch: KdBatch, params: KdParams, rng: SeededRandom): tf.Scalar;
}

/** Which model teaches a round: the best teacher, the previous round's student, or a label-only student copy. */
export type RoundTeacher = 'best-teacher' | 'previous-student' | 'label-only-student';

/**
 * The teacher of round `round` (0-based). A method that learns from the previous student has, in a first round,
 * no previous student: it learns from a label-only copy of the student architecture trained first (KD_Lib's
 * self-training), so it never silently repeats `vanilla`.
 */
export function roundTeacher(method: Pick<KdMethod, 'teacherSource'>, round: number): RoundTeacher {
  if (method.teacherSource === 'teacher') return 'best-teacher';
  return round === 0 ? 'label-only-student' : 'previous-student';
}
