import * as tf from '@tensorflow/tfjs';
import { NUM_LABELS } from '../../core/labels.js';

/**
 * The reference "custom CNN": `blocks` conv blocks (Conv2D 3x3 + BatchNorm + LeakyReLU, then MaxPool 2x2),
 * channels `width`, 2*width, 4*width, ... (capped at `maxWidth`), global average pooling, dense -> 3 LOGITS.
 * Only layers the ONNX exporter supports (CONTRACTS §3). `convsPerBlock` > 1 makes the wider from-scratch teacher.
 */
export interface CnnOptions {
  inputSize: number;
  width: number;
  blocks: number;
  convsPerBlock?: number;
  maxWidth?: number;
  leakyAlpha?: number;
  seed: number;
  name?: string;
  /** Output units (default: one logit per label); the face verifier uses 1 face logit + box deltas. */
  units?: number;
}

export function buildCnn(options: CnnOptions): tf.LayersModel {
  const { inputSize, width, blocks, convsPerBlock = 1, maxWidth = 256, leakyAlpha = 0.1, seed } = options;
  let layerSeed = seed * 7919 + 1;
  const init = () => tf.initializers.heNormal({ seed: layerSeed++ });
  const input = tf.input({ shape: [inputSize, inputSize, 3], name: 'input' });
  let x: tf.SymbolicTensor = input;
  for (let b = 0; b < blocks; b++) {
    const filters = Math.min(maxWidth, width * 2 ** b);
    for (let c = 0; c < convsPerBlock; c++) {
      x = tf.layers
        .conv2d({
          filters,
          kernelSize: 3,
          padding: 'same',
          useBias: false,
          kernelInitializer: init(),
          name: `block${b + 1}_conv${c + 1}`,
        })
        .apply(x) as tf.SymbolicTensor;
      x = tf.layers
        .batchNormalization({ momentum: 0.9, epsilon: 1e-5, name: `block${b + 1}_bn${c + 1}` })
        .apply(x) as tf.SymbolicTensor;
      x = tf.layers
        .leakyReLU({ alpha: leakyAlpha, name: `block${b + 1}_act${c + 1}` })
        .apply(x) as tf.SymbolicTensor;
    }
    x = tf.layers
      .maxPooling2d({ poolSize: 2, strides: 2, name: `block${b + 1}_pool` })
      .apply(x) as tf.SymbolicTensor;
  }
  x = tf.layers.globalAveragePooling2d({ name: 'gap' }).apply(x) as tf.SymbolicTensor;
  const logits = tf.layers
    .dense({
      units: options.units ?? NUM_LABELS,
      kernelInitializer: tf.initializers.glorotUniform({ seed: layerSeed++ }),
      name: 'logits',
    })
    .apply(x) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: logits, name: options.name ?? 'student' });
}

/** A small MLP head over frozen backbone features -> 3 logits. */
export function buildFeatureHead(
  featureSize: number,
  hidden: number,
  seed: number,
  name: string,
): tf.LayersModel {
  const input = tf.input({ shape: [featureSize], name: 'features' });
  let x = tf.layers
    .dense({
      units: hidden,
      kernelInitializer: tf.initializers.heNormal({ seed: seed * 31 + 1 }),
      name: 'head_hidden',
    })
    .apply(input) as tf.SymbolicTensor;
  x = tf.layers.leakyReLU({ alpha: 0.1, name: 'head_act' }).apply(x) as tf.SymbolicTensor;
  const logits = tf.layers
    .dense({
      units: NUM_LABELS,
      kernelInitializer: tf.initializers.glorotUniform({ seed: seed * 31 + 2 }),
      name: 'head_logits',
    })
    .apply(x) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: logits, name });
}

export function countParameters(model: tf.LayersModel): number {
  return model.weights.reduce((sum, w) => sum + w.read().size, 0);
}
