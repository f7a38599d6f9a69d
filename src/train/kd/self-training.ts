import * as tf from '@tensorflow/tfjs';
import type { KdMethod } from './kd-method.js';
import { hintonLoss } from './losses.js';

/**
 * Self-training / born-again distillation (Furlanello et al. 2018): a fresh copy of the student architecture
 * learns from the previous round's student (the teacher in a first round), with the Hinton loss.
 */
export const selfTraining: KdMethod = {
  name: 'self-training',
  teacherSource: 'previous-student',
  loss({ studentLogits, teacherLogits, labels }, params) {
    return tf.tidy(() => hintonLoss(studentLogits, teacherLogits, tf.tensor1d(labels, 'int32'), params));
  },
};
