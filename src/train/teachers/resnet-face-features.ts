import * as tf from '@tensorflow/tfjs';

/**
 * Spatial features from face-api's face-recognition ResNet-34 (weights via face-api's loader): the network run up
 * to its last residual stage, keeping the 2x2x256 map (at 150 px input) that face-api averages away before its 128-d embedding.
 * Where a mask sits (nose, mouth, chin) is spatial information, so a head over this map separates
 * `correct` from `incorrect` far better than one over the pooled embedding.
 * Architecture (dlib's metric-learning ResNet as face-api ports it): conv layers are conv + bias, then a
 * per-channel scale (weights, biases); down-sampling residuals add a zero-padded 2x2 average-pooled shortcut.
 */
interface ConvParams {
  conv: { filters: tf.Tensor4D; bias: tf.Tensor1D };
  scale: { weights: tf.Tensor1D; biases: tf.Tensor1D };
}
interface ResidualParams {
  conv1: ConvParams;
  conv2: ConvParams;
}
export type ResNetParams = Record<string, ConvParams | ResidualParams | tf.Tensor>;

function convScaled(
  x: tf.Tensor4D,
  p: ConvParams,
  stride: number,
  relu: boolean,
  padding: 'same' | 'valid',
): tf.Tensor4D {
  const out = tf.add(
    tf.mul(tf.add(tf.conv2d(x, p.conv.filters, stride, padding), p.conv.bias), p.scale.weights),
    p.scale.biases,
  ) as tf.Tensor4D;
  return relu ? (tf.relu(out) as tf.Tensor4D) : out;
}

function residual(x: tf.Tensor4D, p: ResidualParams): tf.Tensor4D {
  const out = convScaled(convScaled(x, p.conv1, 1, true, 'same'), p.conv2, 1, false, 'same');
  return tf.relu(tf.add(out, x)) as tf.Tensor4D;
}

function residualDown(x: tf.Tensor4D, p: ResidualParams): tf.Tensor4D {
  let out = convScaled(convScaled(x, p.conv1, 2, true, 'valid'), p.conv2, 1, false, 'same');
  let pooled = tf.avgPool(x, 2, 2, 'valid') as tf.Tensor4D;
  if (pooled.shape[1] !== out.shape[1] || pooled.shape[2] !== out.shape[2]) {
    out = tf.pad(out, [
      [0, 0],
      [0, pooled.shape[1] - out.shape[1]],
      [0, pooled.shape[2] - out.shape[2]],
      [0, 0],
    ]);
  }
  if (pooled.shape[3] !== out.shape[3]) {
    pooled = tf.pad(pooled, [
      [0, 0],
      [0, 0],
      [0, 0],
      [0, out.shape[3] - pooled.shape[3]],
    ]);
  }
  return tf.relu(tf.add(pooled, out)) as tf.Tensor4D;
}

const MEAN_RGB = [122.782, 117.001, 104.298];

/**
 * x: [N,150,150,3] RGB 0..255 -> spatial features: `last` = the final 2x2x256 map; `mid` = the 4x4x256 map of the
 * stage before it (finer layout of nose/mouth/chin, less identity-specific).
 */
export function resnetFaceSpatialFeatures(
  params: ResNetParams,
  x: tf.Tensor4D,
  stage: 'last' | 'mid' = 'last',
): tf.Tensor2D {
  return tf.tidy(() => {
    const r = (k: string) => params[k] as ResidualParams;
    let out = tf.div(tf.sub(x, tf.tensor1d(MEAN_RGB)), 255) as tf.Tensor4D;
    out = convScaled(out, params.conv32_down as ConvParams, 2, true, 'valid');
    out = tf.maxPool(out, 3, 2, 'valid');
    for (const k of ['conv32_1', 'conv32_2', 'conv32_3']) out = residual(out, r(k));
    out = residualDown(out, r('conv64_down'));
    for (const k of ['conv64_1', 'conv64_2', 'conv64_3']) out = residual(out, r(k));
    out = residualDown(out, r('conv128_down'));
    for (const k of ['conv128_1', 'conv128_2']) out = residual(out, r(k));
    out = residualDown(out, r('conv256_down'));
    for (const k of ['conv256_1', 'conv256_2']) out = residual(out, r(k));
    if (stage === 'last') out = residualDown(out, r('conv256_down_out'));
    return tf.reshape(out, [out.shape[0], -1]) as tf.Tensor2D;
  });
}
