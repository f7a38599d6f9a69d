import * as tf from '@tensorflow/tfjs';
import type { RgbImage } from '../../core/image-io.js';
import type { SeededRandom } from '../../core/seeded-random.js';
import {
  type AugmentDraw,
  DEFAULT_AUGMENT,
  writeAugmentedDraw,
  writeNormalised,
} from '../augment/augment-crop.js';
import type { TrainTask } from '../loop/trainer.js';

/** Crops and labels of one split, in a fixed order. */
export interface SplitData {
  ids: string[];
  images: RgbImage[];
  labels: number[];
}

/** Normalised NHWC batch of crops (no augmentation): validation, test, teacher logits. */
export function imageBatch(images: RgbImage[], flip = false): tf.Tensor4D {
  const size = images[0]?.width ?? 0;
  const out = new Float32Array(images.length * size * size * 3);
  images.forEach((img, i) => {
    writeNormalised(img, out, i * size * size * 3, flip);
  });
  return tf.tensor4d(out, [images.length, size, size, 3]);
}

/**
 * A training task over image crops with on-the-fly augmentation (train only). `onDraws` sees each batch's
 * augmentation draws (row by row) before the loss runs, e.g. to show a teacher the same views.
 */
export function imageTask(
  name: string,
  model: tf.LayersModel,
  train: SplitData,
  val: SplitData,
  augment = true,
  onDraws?: (indices: number[], draws: AugmentDraw[]) => void,
): TrainTask {
  const size = train.images[0]?.width ?? 0;
  return {
    name,
    model,
    labels: train.labels,
    batch(indices: number[], rng: SeededRandom) {
      const out = new Float32Array(indices.length * size * size * 3);
      const draws: AugmentDraw[] = [];
      const flipped = indices.map((idx, i) => {
        const img = train.images[idx]!;
        if (augment) {
          const d = writeAugmentedDraw(img, size, out, i * size * size * 3, rng, DEFAULT_AUGMENT);
          draws.push(d);
          return d.flip;
        }
        writeNormalised(img, out, i * size * size * 3);
        return false;
      });
      if (augment) onDraws?.(indices, draws);
      return { x: tf.tensor4d(out, [indices.length, size, size, 3]), flipped };
    },
    valInput: (s, e) => imageBatch(val.images.slice(s, e)),
    valLabels: val.labels,
  };
}

/** Standardised feature rows (train mean/std) for a frozen-backbone head. */
export interface FeatureMatrix {
  rows: Float32Array;
  dim: number;
}

export function standardise(train: FeatureMatrix): { mean: Float32Array; std: Float32Array } {
  const { rows, dim } = train;
  const n = rows.length / dim;
  const mean = new Float32Array(dim);
  const std = new Float32Array(dim);
  for (let i = 0; i < n; i++) for (let d = 0; d < dim; d++) mean[d]! += rows[i * dim + d]! / n;
  for (let i = 0; i < n; i++)
    for (let d = 0; d < dim; d++) std[d]! += (rows[i * dim + d]! - mean[d]!) ** 2 / n;
  for (let d = 0; d < dim; d++) std[d] = Math.sqrt(std[d]! + 1e-6);
  return { mean, std };
}

export function featureRows(
  m: FeatureMatrix,
  indices: number[],
  norm: { mean: Float32Array; std: Float32Array },
): tf.Tensor2D {
  const out = new Float32Array(indices.length * m.dim);
  indices.forEach((idx, i) => {
    for (let d = 0; d < m.dim; d++)
      out[i * m.dim + d] = (m.rows[idx * m.dim + d]! - norm.mean[d]!) / norm.std[d]!;
  });
  return tf.tensor2d(out, [indices.length, m.dim]);
}

export function range(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i);
}

/** A training task for a head over precomputed features (feature dropout-free; weight decay regularises). */
export function featureTask(
  name: string,
  model: tf.LayersModel,
  train: FeatureMatrix,
  trainLabels: number[],
  val: FeatureMatrix,
  valLabels: number[],
  norm: { mean: Float32Array; std: Float32Array },
): TrainTask {
  return {
    name,
    model,
    labels: trainLabels,
    batch: (indices) => ({ x: featureRows(train, indices, norm), flipped: indices.map(() => false) }),
    valInput: (s, e) =>
      featureRows(
        val,
        range(e - s).map((i) => i + s),
        norm,
      ),
    valLabels,
  };
}
