import * as tf from '@tensorflow/tfjs';
import type { KdMethod } from './kd-method.js';
import { hintonLoss } from './losses.js';

/**
 * Self-training (KD_Lib's definition; born-again networks, Furlanello et al. 2018): a fresh copy of the student
 * architecture learns from a trained copy of itself with the Hinton loss — the previous round's student, or in a
 * first round a label-only copy of the student trained first (`roundTeacher`), never the big teacher.
 */
export const selfTraining: KdMethod = {
  name: 'self-training',
  teacherSource: 'previous-student',
  loss({ studentLogits, teacherLogits, labels }, params) {
    return tf.tidy(() => hintonLoss(studentLogits, teacherLogits, tf.tensor1d(labels, 'int32'), params));
  },
};
