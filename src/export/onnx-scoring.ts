/** Runs classifier ONNX bytes over a face set in ONNX Runtime and compares two models' outputs. */
import * as ort from 'onnxruntime-node';
import { argmaxRows, type ClassMetrics, computeClassMetrics, softmax } from '../core/metrics.js';
import { batchesOf, type FaceSet } from './face-images.js';
import type { InputContract } from './run-source.js';

export async function runLogits(
  bytes: Uint8Array,
  set: FaceSet,
  contract: InputContract,
): Promise<Float32Array> {
  const session = await ort.InferenceSession.create(bytes);
  const k = contract.labels.length;
  const out = new Float32Array(set.images.length * k);
  try {
    let offset = 0;
    for (const batch of batchesOf(set, contract, 'NCHW')) {
      const result = await session.run({
        [session.inputNames[0]!]: new ort.Tensor('float32', batch.data, batch.dims),
      });
      const logits = result[session.outputNames[0]!]!.data as Float32Array;
      out.set(logits, offset);
      offset += logits.length;
    }
  } finally {
    await session.release();
  }
  return out;
}

export function probabilities(logits: Float32Array, k: number, alreadyProbabilities = false): Float32Array {
  return alreadyProbabilities ? logits : softmax(logits, k);
}

export interface Comparison {
  reference: ClassMetrics;
  candidate: ClassMetrics;
  /** Share of images where both models predict the same label. */
  agreement: number;
  /** Largest |p_ref - p_cand| over all images and labels (softmax probabilities). */
  maxProbDiff: number;
  meanProbDiff: number;
}

export function compareOutputs(
  reference: Float32Array,
  candidate: Float32Array,
  truth: number[],
  labels: string[],
  outputsAreProbabilities = false,
): Comparison {
  const k = labels.length;
  const pr = probabilities(reference, k, outputsAreProbabilities);
  const pc = probabilities(candidate, k, outputsAreProbabilities);
  const predR = argmaxRows(pr, k);
  const predC = argmaxRows(pc, k);
  let maxProbDiff = 0;
  let sum = 0;
  for (let i = 0; i < pr.length; i++) {
    const d = Math.abs(pr[i]! - pc[i]!);
    maxProbDiff = Math.max(maxProbDiff, d);
    sum += d;
  }
  const agree = predR.filter((p, i) => p === predC[i]).length;
  return {
    reference: computeClassMetrics(truth, predR, labels),
    candidate: computeClassMetrics(truth, predC, labels),
    agreement: predR.length ? agree / predR.length : 0,
    maxProbDiff,
    meanProbDiff: pr.length ? sum / pr.length : 0,
  };
}
