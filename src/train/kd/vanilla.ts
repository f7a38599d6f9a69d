import * as tf from '@tensorflow/tfjs';
import type { KdMethod } from './kd-method.js';
import { hintonLoss } from './losses.js';

/** Hinton et al. 2015: alpha * T^2 * KL(soft teacher || soft student) + (1 - alpha) * CE on the labels. */
export const vanilla: KdMethod = {
  name: 'vanilla',
  teacherSource: 'teacher',
  loss({ studentLogits, teacherLogits, labels }, params) {
    return tf.tidy(() => hintonLoss(studentLogits, teacherLogits, tf.tensor1d(labels, 'int32'), params));
  },
};
