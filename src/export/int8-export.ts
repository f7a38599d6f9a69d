/**
 * INT8 step of export: calibrate on real faces, build a QDQ model per calibration method, keep the one closest
 * to fp32 on the calibration faces, then measure it against fp32 on the evaluation faces and apply the guards
 * (accuracy drop, size, ORT fusion).
 */
import type { Logger } from '../core/logger.js';
import { batchesOf, type FaceSet } from './face-images.js';
import type { ModelProto } from './onnx/graph-builder.js';
import { type Comparison, compareOutputs, runLogits } from './onnx-scoring.js';
import { type FusionReport, inspectOptimizedGraph } from './quantize/fusion-check.js';
import {
  type ActivationType,
  type CalibrationMethod,
  calibrate,
  type QuantizedModel,
  quantizeWithStats,
} from './quantize/quantize-model.js';
import type { InputContract } from './run-source.js';

export interface Int8Options {
  methods: CalibrationMethod[];
  activationType: ActivationType;
  percentile: number;
  /** Largest allowed accuracy drop, in percentage points. */
  maxDropPoints: number;
  /** int8 size must be at most this share of fp32. */
  maxSizeRatio: number;
  outputsAreProbabilities: boolean;
}

export interface MethodTrial {
  method: CalibrationMethod;
  /** On the calibration faces, vs fp32. */
  agreement: number;
  meanProbDiff: number;
  maxProbDiff: number;
}

export interface Int8Outcome {
  chosen: QuantizedModel;
  trials: MethodTrial[];
  evaluation: Comparison;
  fusion: FusionReport;
  sizeRatio: number;
  accuracyDropPoints: number;
  /** Reasons the model misses a bound; empty when it is acceptable. */
  problems: string[];
}

export async function buildInt8(
  fp32: { model: ModelProto; bytes: Uint8Array },
  fp32EvalLogits: Float32Array,
  calib: FaceSet,
  evalSet: FaceSet,
  contract: InputContract,
  options: Int8Options,
  log: Logger,
): Promise<Int8Outcome> {
  log.info('calibrating', { images: calib.images.length, set: calib.description });
  const started = Date.now();
  const stats = await calibrate(fp32.model, batchesOf(calib, contract, 'NCHW'));
  log.info('calibration done', {
    seconds: Math.round((Date.now() - started) / 100) / 10,
    tensors: stats.size,
  });
  const fp32Calib = await runLogits(fp32.bytes, calib, contract);
  const trials: MethodTrial[] = [];
  let best: { q: QuantizedModel; trial: MethodTrial } | undefined;
  for (const method of options.methods) {
    const q = quantizeWithStats(fp32.model, stats, method, options.activationType, options.percentile);
    const cmp = compareOutputs(
      fp32Calib,
      await runLogits(q.bytes, calib, contract),
      calib.truth,
      contract.labels,
      options.outputsAreProbabilities,
    );
    const trial = {
      method,
      agreement: cmp.agreement,
      meanProbDiff: cmp.meanProbDiff,
      maxProbDiff: cmp.maxProbDiff,
    };
    trials.push(trial);
    log.info('int8 candidate', { ...trial });
    const better =
      !best ||
      trial.agreement > best.trial.agreement ||
      (trial.agreement === best.trial.agreement && trial.meanProbDiff < best.trial.meanProbDiff);
    if (better) best = { q, trial };
  }
  const chosen = best!.q;
  const evaluation = compareOutputs(
    fp32EvalLogits,
    await runLogits(chosen.bytes, evalSet, contract),
    evalSet.truth,
    contract.labels,
    options.outputsAreProbabilities,
  );
  const fusion = await inspectOptimizedGraph(chosen.bytes);
  const sizeRatio = chosen.bytes.length / fp32.bytes.length;
  const accuracyDropPoints = (evaluation.reference.accuracy - evaluation.candidate.accuracy) * 100;
  const problems: string[] = [];
  if (accuracyDropPoints > options.maxDropPoints + 1e-9) {
    problems.push(
      `accuracy drops ${accuracyDropPoints.toFixed(2)} points (fp32 ${(evaluation.reference.accuracy * 100).toFixed(2)}% -> ` +
        `int8 ${(evaluation.candidate.accuracy * 100).toFixed(2)}% on ${evalSet.images.length} faces of ${evalSet.description}), ` +
        `more than the allowed ${options.maxDropPoints} (--max-drop)`,
    );
  }
  if (sizeRatio > options.maxSizeRatio) {
    problems.push(
      `int8 file is ${(sizeRatio * 100).toFixed(1)}% of fp32, more than ${(options.maxSizeRatio * 100).toFixed(0)}%`,
    );
  }
  if (fusion.quantizedComputeOps === 0 || fusion.floatComputeOps > 0) {
    problems.push(
      `ONNX Runtime left ${fusion.floatComputeOps} Conv/Gemm/MatMul in float and fused ${fusion.quantizedComputeOps} into QLinear ops`,
    );
  }
  return { chosen, trials, evaluation, fusion, sizeRatio, accuracyDropPoints, problems };
}
