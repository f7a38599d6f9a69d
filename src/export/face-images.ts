/**
 * Labelled face crops for calibration, verification and accuracy, from the run's splits or --calib folders,
 * through core/dataset (CONTRACTS §1), normalised per the model's input contract.
 */

import { type FaceSample, loadCrops, type ReadDatasetOptions, readDataset } from '../core/dataset/index.js';
import { MaskEdgeError } from '../core/errors.js';
import { normalise, type RgbImage } from '../core/image-io.js';
import { labelIndex } from '../core/labels.js';
import type { InputContract } from './run-source.js';

export interface FaceSet {
  ids: string[];
  images: RgbImage[];
  /** Label index per image (LABELS order). */
  truth: number[];
  /** Where the set came from, for reports. */
  description: string;
}

/** Every n-th sample so that a subset spans the whole (sorted) list deterministically. */
export function spreadSubset<T>(items: T[], max: number): T[] {
  if (items.length <= max) return items;
  const step = items.length / max;
  return Array.from({ length: max }, (_, i) => items[Math.floor(i * step)]!);
}

export async function readSamples(
  dirs: string[],
  labels: Pick<ReadDatasetOptions, 'labelMap' | 'skipUnknownLabels'> = {},
): Promise<FaceSample[]> {
  const { samples } = await readDataset(dirs, labels);
  if (samples.length === 0) {
    throw new MaskEdgeError('E_DATA', `no labelled face images in ${dirs.join(', ')}`, {
      detail: { path: dirs.join(', '), expected: 'an ImageFolder or VOC dataset with images' },
    });
  }
  return samples;
}

export async function loadFaceSet(
  samples: FaceSample[],
  contract: InputContract,
  description: string,
  options: { cacheDir?: string; onProgress?: (done: number, total: number) => void } = {},
): Promise<FaceSet> {
  const { crops } = await loadCrops(samples, {
    size: contract.inputSize,
    margin: contract.margin,
    ...options,
  });
  const kept = samples.filter((s) => crops.has(s.id));
  if (kept.length === 0) {
    throw new MaskEdgeError(
      'E_DATA',
      `none of the ${samples.length} images of ${description} could be read`,
      {
        detail: { set: description, samples: samples.length },
      },
    );
  }
  return {
    ids: kept.map((s) => s.id),
    images: kept.map((s) => crops.get(s.id)!),
    truth: kept.map((s) => labelIndex(s.label)),
    description,
  };
}

/** Normalised batch of images [start, start+count) in NCHW (ONNX) or NHWC (tfjs) order. */
export function batchOf(
  set: FaceSet,
  contract: InputContract,
  layout: 'NCHW' | 'NHWC',
  start: number,
  count: number,
): { data: Float32Array; dims: number[] } {
  const s = contract.inputSize;
  const n = Math.min(count, set.images.length - start);
  const per = 3 * s * s;
  const data = new Float32Array(n * per);
  for (let i = 0; i < n; i++) {
    normalise(
      set.images[start + i]!,
      { layout, mean: contract.mean, std: contract.std, colorOrder: contract.colorOrder },
      data,
      i * per,
    );
  }
  return { data, dims: layout === 'NCHW' ? [n, 3, s, s] : [n, s, s, 3] };
}

export function batchesOf(
  set: FaceSet,
  contract: InputContract,
  layout: 'NCHW' | 'NHWC',
  batchSize = 32,
): { data: Float32Array; dims: number[] }[] {
  const out = [];
  for (let start = 0; start < set.images.length; start += batchSize) {
    out.push(batchOf(set, contract, layout, start, batchSize));
  }
  return out;
}
