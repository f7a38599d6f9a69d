import * as tf from '@tensorflow/tfjs';
import type { SeededRandom } from '../../core/seeded-random.js';
import type { KdMethod, KdParams } from './kd-method.js';
import { hintonLoss } from './losses.js';

/**
 * Noisy teacher (Sau & Balasubramanian 2016): the teacher's logits are perturbed multiplicatively,
 * z' = z * (1 + xi), xi ~ N(0, noiseStd), on a random `noiseFraction` of the batch; then the Hinton loss.
 */
export function teacherNoise(rows: number, params: KdParams, rng: SeededRandom): number[] {
  return Array.from({ length: rows }, () =>
    rng.next() < params.noiseFraction ? params.noiseStd * rng.normal() : 0,
  );
}

export function perturbLogits(teacherLogits: tf.Tensor2D, noise: number[]): tf.Tensor2D {
  return tf.tidy(
    () => tf.mul(teacherLogits, tf.add(tf.tensor2d(noise, [noise.length, 1]), 1)) as tf.Tensor2D,
  );
}

export const noisyTeacher: KdMethod = {
  name: 'noisy-teacher',
  teacherSource: 'teacher',
  loss({ studentLogits, teacherLogits, labels }, params, rng) {
    const noise = teacherNoise(labels.length, params, rng);
    return tf.tidy(() =>
      hintonLoss(studentLogits, perturbLogits(teacherLogits, noise), tf.tensor1d(labels, 'int32'), params),
    );
  },
};
