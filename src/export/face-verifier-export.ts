/**
 * The face verifier (a tfjs layers checkpoint from `mask-edge train-verifier`) as ONNX: converted with the
 * project's writer, its contract in the metadata (mask_edge.kind face-verifier, mask_edge.verifier), checked
 * against tfjs on real crops (|diff| <= 1e-4) before it is written.
 */
import { writeFile } from 'node:fs/promises';
import * as ort from 'onnxruntime-node';
import { MaskEdgeError } from '../core/errors.js';
import { VERIFIER_OUTPUTS } from '../core/face-verifier-spec.js';
import { IMAGENET_MEAN, IMAGENET_STD } from '../core/image-io.js';
import { convertLayersModel } from './onnx/tfjs-to-onnx.js';
import { readTfjsCheckpoint, resolveModelJson } from './tfjs/checkpoint.js';
import { loadTfjsModel, predictTfjs } from './tfjs/tfjs-reference.js';
import { PARITY_TOLERANCE } from './verify/tfjs-parity.js';

export interface VerifierMetadata {
  inputSize: number;
  context: number;
  conventions: readonly string[];
  candidateMinScore: number;
  minScore: number;
  iou: number;
  /** Free-form provenance (data, seed, detector, figures). */
  training: Record<string, unknown>;
}

/** Converts, checks parity on `nhwcCrops` (normalised, [n, S, S, 3]) and writes `outFile`. */
export async function exportFaceVerifier(
  checkpointDir: string,
  outFile: string,
  meta: VerifierMetadata,
  nhwcCrops: Float32Array,
): Promise<{ bytes: number; maxAbsDiff: number }> {
  const ckpt = await readTfjsCheckpoint(checkpointDir);
  const conversion = convertLayersModel(ckpt, {
    inputName: 'crops',
    outputName: 'verifier',
    metadata: {
      'mask_edge.kind': 'face-verifier',
      'mask_edge.model_version': 1,
      'mask_edge.input_name': 'crops',
      'mask_edge.layout': 'NCHW',
      'mask_edge.input_size': meta.inputSize,
      'mask_edge.outputs': `verifier: [N, ${VERIFIER_OUTPUTS}] = face logit, then dx dy log-sw log-sh (x10 10 5 5) per convention`,
      'mask_edge.verifier': {
        inputSize: meta.inputSize,
        context: meta.context,
        conventions: meta.conventions,
        mean: IMAGENET_MEAN,
        std: IMAGENET_STD,
        candidateMinScore: meta.candidateMinScore,
        minScore: meta.minScore,
        iou: meta.iou,
      },
      'mask_edge.training': meta.training,
    },
  });
  const s = meta.inputSize;
  const n = nhwcCrops.length / (s * s * 3);
  const model = await loadTfjsModel(await resolveModelJson(checkpointDir));
  const reference = predictTfjs(model, nhwcCrops, [n, s, s, 3]);
  model.dispose();
  const nchw = new Float32Array(nhwcCrops.length);
  for (let i = 0; i < n; i++)
    for (let p = 0; p < s * s; p++)
      for (let c = 0; c < 3; c++) nchw[i * 3 * s * s + c * s * s + p] = nhwcCrops[i * 3 * s * s + p * 3 + c]!;
  const session = await ort.InferenceSession.create(conversion.bytes);
  let maxAbsDiff = 0;
  try {
    const out = await session.run({ crops: new ort.Tensor('float32', nchw, [n, 3, s, s]) });
    const got = out.verifier!.data as Float32Array;
    for (let i = 0; i < reference.length; i++)
      maxAbsDiff = Math.max(maxAbsDiff, Math.abs(reference[i]! - got[i]!));
  } finally {
    await session.release();
  }
  if (!(maxAbsDiff <= PARITY_TOLERANCE)) {
    throw new MaskEdgeError(
      'E_QUALITY',
      `face verifier ONNX differs from tfjs by ${maxAbsDiff.toExponential(2)}`,
      {
        detail: { maxAbsDiff, tolerance: PARITY_TOLERANCE, crops: n },
      },
    );
  }
  await writeFile(outFile, conversion.bytes);
  return { bytes: conversion.bytes.length, maxAbsDiff };
}
