import * as tf from '@tensorflow/tfjs';
import type { SeededRandom } from '../../core/seeded-random.js';
import type { KdMethod, KdParams } from './kd-method.js';
import { hintonLoss } from './losses.js';

/**
 * Noisy teacher (Sau & Balasubramanian 2016, as KD_Lib defines it): with probability `noiseProbability` per
 * batch, every teacher logit is perturbed on its own, z' = z * (1 + sqrt(noiseVariance) * N(0, 1)); then the
 * Hinton loss. Independent per-logit noise can change a row's ranking (a per-row scalar never could).
 */
export function teacherNoise(
  rows: number,
  classes: number,
  params: KdParams,
  rng: SeededRandom,
): Float32Array {
  const noise = new Float32Array(rows * classes);
  if (rng.next() >= params.noiseProbability) return noise;
  const std = Math.sqrt(params.noiseVariance);
  for (let i = 0; i < noise.length; i++) noise[i] = std * rng.normal();
  return noise;
}

/** z * (1 + noise), elementwise; `noise` is row-major [rows, classes] like the logits. */
export function perturbRows(teacherLogits: Float32Array, noise: Float32Array): Float32Array {
  return teacherLogits.map((z, i) => z * (1 + noise[i]!));
}

export const noisyTeacher: KdMethod = {
  name: 'noisy-teacher',
  teacherSource: 'teacher',
  loss({ studentLogits, teacherLogits, labels }, params, rng) {
    const [rows, classes] = teacherLogits.shape;
    const noise = teacherNoise(rows, classes, params, rng);
    const perturbed = perturbRows(teacherLogits.dataSync() as Float32Array, noise);
    return tf.tidy(() =>
      hintonLoss(
        studentLogits,
        tf.tensor2d(perturbed, [rows, classes]),
        tf.tensor1d(labels, 'int32'),
        params,
      ),
    );
  },
};
