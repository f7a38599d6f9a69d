/** fp32 parity: ONNX Runtime output vs the tfjs model's output on the same real images (|diff| <= 1e-4). */
import { MaskEdgeError } from '../../core/errors.js';
import { batchOf, type FaceSet } from '../face-images.js';
import { runLogits } from '../onnx-scoring.js';
import type { InputContract } from '../run-source.js';
import { loadTfjsModel, predictTfjs, startTfjs } from '../tfjs/tfjs-reference.js';

export const PARITY_TOLERANCE = 1e-4;

export interface ParityResult {
  images: number;
  maxAbsDiff: number;
  tolerance: number;
  tfjsBackend: string;
}

export async function checkTfjsParity(
  modelJsonPath: string,
  onnxBytes: Uint8Array,
  set: FaceSet,
  contract: InputContract,
  tolerance = PARITY_TOLERANCE,
): Promise<ParityResult> {
  const backend = await startTfjs();
  const model = await loadTfjsModel(modelJsonPath);
  const onnxOut = await runLogits(onnxBytes, set, contract);
  let maxAbsDiff = 0;
  let offset = 0;
  for (let start = 0; start < set.images.length; start += 16) {
    const batch = batchOf(set, contract, 'NHWC', start, 16);
    const ref = predictTfjs(model, batch.data, batch.dims);
    for (let i = 0; i < ref.length; i++)
      maxAbsDiff = Math.max(maxAbsDiff, Math.abs(ref[i]! - onnxOut[offset + i]!));
    offset += ref.length;
  }
  model.dispose();
  if (offset !== onnxOut.length || !(maxAbsDiff <= tolerance)) {
    throw new MaskEdgeError(
      'E_QUALITY',
      `ONNX output differs from tfjs by ${maxAbsDiff.toExponential(2)} (> ${tolerance}) on ${set.images.length} images`,
      { detail: { path: modelJsonPath, maxAbsDiff, tolerance, images: set.images.length } },
    );
  }
  return { images: set.images.length, maxAbsDiff, tolerance, tfjsBackend: backend };
}
