import * as tf from '@tensorflow/tfjs';
import type { SeededRandom } from '../../core/seeded-random.js';
import type { KdMethod } from './kd-method.js';
import { hintonLoss } from './losses.js';

/**
 * Messy collaboration (noisy-label distillation, after Arani et al. 2019): on a random `labelNoiseFraction`
 * of each batch the hard label is swapped for a different random label, so the student cannot simply trust
 * the labels and leans on the teacher's soft targets; then the Hinton loss.
 */
export function messLabels(labels: number[], classes: number, fraction: number, rng: SeededRandom): number[] {
  return labels.map((label) => {
    if (rng.next() >= fraction) return label;
    const other = rng.int(classes - 1);
    return other >= label ? other + 1 : other;
  });
}

export const messyCollab: KdMethod = {
  name: 'messy-collab',
  teacherSource: 'teacher',
  loss({ studentLogits, teacherLogits, labels }, params, rng) {
    const noisy = messLabels(labels, studentLogits.shape[1], params.labelNoiseFraction, rng);
    return tf.tidy(() => hintonLoss(studentLogits, teacherLogits, tf.tensor1d(noisy, 'int32'), params));
  },
};
