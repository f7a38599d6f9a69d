import * as tf from '@tensorflow/tfjs';

/**
 * Loss building blocks shared by the distillation methods. All take LOGITS [N, C]; labels are int32 [N].
 */

/** Cross-entropy with optional per-class weights, reduced like PyTorch: sum(w_y * ce) / sum(w_y). */
export function weightedCrossEntropy(
  logits: tf.Tensor2D,
  labels: tf.Tensor1D,
  classWeights?: number[],
): tf.Scalar {
  return tf.tidy(() => {
    const classes = logits.shape[1];
    const oneHot = tf.oneHot(labels, classes).toFloat();
    const ce = tf.neg(tf.sum(tf.mul(oneHot, tf.logSoftmax(logits)), 1));
    if (!classWeights) return tf.mean(ce) as tf.Scalar;
    const w = tf.sum(tf.mul(oneHot, tf.tensor1d(classWeights)), 1);
    return tf.div(tf.sum(tf.mul(ce, w)), tf.sum(w)) as tf.Scalar;
  });
}

/**
 * KL(softmax(teacher/T) || softmax(student/T)) times T^2 (Hinton et al.), averaged over the batch. With
 * `labels` + `classWeights` the average is weighted by each sample's true-label weight, reduced like
 * weightedCrossEntropy (sum(w_y * kl) / sum(w_y)): without it the soft term follows the class frequencies and
 * undoes the class weighting of the hard term for the rare class.
 */
export function softTargetKl(
  studentLogits: tf.Tensor2D,
  teacherLogits: tf.Tensor2D,
  temperature: number,
  labels?: tf.Tensor1D,
  classWeights?: number[],
): tf.Scalar {
  return tf.tidy(() => {
    const logPt = tf.logSoftmax(tf.div(teacherLogits, temperature));
    const logPs = tf.logSoftmax(tf.div(studentLogits, temperature));
    const kl = tf.sum(tf.mul(tf.exp(logPt), tf.sub(logPt, logPs)), 1);
    const t2 = temperature * temperature;
    if (!labels || !classWeights) return tf.mul(tf.mean(kl), t2) as tf.Scalar;
    const oneHot = tf.oneHot(labels, studentLogits.shape[1]).toFloat();
    const w = tf.sum(tf.mul(oneHot, tf.tensor1d(classWeights)), 1);
    return tf.mul(tf.div(tf.sum(tf.mul(kl, w)), tf.sum(w)), t2) as tf.Scalar;
  });
}

/** alpha * T^2 * KL(soft teacher || soft student) + (1 - alpha) * CE(student, labels); both terms class-weighted when classWeights is given. */
export function hintonLoss(
  studentLogits: tf.Tensor2D,
  teacherLogits: tf.Tensor2D,
  labels: tf.Tensor1D,
  params: { temperature: number; alpha: number; classWeights?: number[] },
): tf.Scalar {
  return tf.tidy(() => {
    const soft = softTargetKl(studentLogits, teacherLogits, params.temperature, labels, params.classWeights);
    const hard = weightedCrossEntropy(studentLogits, labels, params.classWeights);
    return tf.add(tf.mul(soft, params.alpha), tf.mul(hard, 1 - params.alpha)) as tf.Scalar;
  });
}
