/**
 * Static INT8 face detectors: the fp32 detector graph (build-face-detector.ts) rewritten to QDQ form
 * (src/export/quantize: uint8 asymmetric activations, int8 symmetric per-channel weights, int32 biases), which ONNX
 * Runtime fuses into QLinearConv; the first convolution then reads the image through SpaceToDepth
 * (space-to-depth-stem.ts). The activation ranges come from a calibration pass over letterboxed photos
 * (`calibrateDetectorRanges`, run by `npm run build:models` on the shared data) and are recorded in a small JSON in
 * models/, so `npm ci` rebuilds the same INT8 model from face-api's weights and the recorded ranges alone.
 */
import { MaskEdgeError } from '../../core/errors.js';
import { decodeModel, encodeModel, type ModelProto } from '../onnx/graph-builder.js';
import { activationTensors } from '../quantize/model-graph.js';
import { type QuantizeScope, quantizeToQdq } from '../quantize/qdq-rewrite.js';
import { type CalibrationBatch, type CalibrationMethod, calibrate } from '../quantize/quantize-model.js';
import { rewriteStemAsSpaceToDepth } from './space-to-depth-stem.js';

/** What `npm run build:models` records and `npm ci` rebuilds the INT8 detector from. */
export interface DetectorQuantization {
  /** Calibration range per activation tensor: exact min/max, or a percentile of the histogram. */
  method: Exclude<CalibrationMethod, 'entropy'>;
  /** For method 'percentile'. */
  percentile?: number;
  /** Which activations are quantized (see QdqOptions.scope). */
  scope: QuantizeScope;
  /** One line: which photos calibrated the ranges. */
  calibratedOn: string;
  /** [min, max] per activation tensor of the fp32 graph. */
  ranges: Record<string, [number, number]>;
}

/** Significant digits the recorded ranges keep (the JSON stays small; scales move by < 1e-6 relative). */
const RANGE_DIGITS = 7;

/** Runs the fp32 detector over calibration batches and returns each activation's range for `method`. */
export async function calibrateDetectorRanges(
  fp32: Uint8Array,
  batches: CalibrationBatch[],
  options: { method: DetectorQuantization['method']; percentile?: number },
  onProgress?: (done: number, total: number) => void,
): Promise<Record<string, [number, number]>> {
  const stats = await calibrate(decodeModel(fp32, 'fp32 detector'), batches, onProgress);
  const round = (v: number): number => Number(v.toPrecision(RANGE_DIGITS));
  const ranges: Record<string, [number, number]> = {};
  for (const [name, s] of stats) {
    if (!(s.count > 0)) continue;
    const [lo, hi] = s.range(options.method, options.percentile);
    ranges[name] = [round(lo), round(hi)];
  }
  return ranges;
}

/**
 * The INT8 model of an fp32 detector: same inputs, outputs and metadata (anchors, box adjustment, thresholds),
 * plus `mask_edge.precision` 'int8' and `mask_edge.quantization` (scheme, scope, calibration). Refuses recorded
 * ranges that do not name the graph's activations (a graph changed since calibration).
 */
export function quantizeDetector(fp32: Uint8Array, quantization: DetectorQuantization): Uint8Array {
  const model: ModelProto = decodeModel(fp32, 'fp32 detector');
  const known = new Set(activationTensors(model));
  const recorded = Object.keys(quantization.ranges);
  const missing = [...known].filter((t) => !(t in quantization.ranges));
  const unknown = recorded.filter((t) => !known.has(t));
  if (unknown.length > 0 || missing.length > 0) {
    throw new MaskEdgeError(
      'E_MODEL',
      `recorded INT8 ranges do not match the detector graph (${unknown.length} unknown, ${missing.length} ` +
        `missing tensors, e.g. ${unknown[0] ?? missing[0]}); recalibrate with \`npm run build:models\``,
      { detail: { unknown: unknown.slice(0, 5), missing: missing.slice(0, 5) } },
    );
  }
  const ranges = new Map(Object.entries(quantization.ranges));
  const { model: q } = quantizeToQdq(model, {
    activationType: 'uint8',
    ranges,
    scope: quantization.scope,
  });
  // The 3-channel stem convolution as SpaceToDepth + a 12-channel one: the same integers, faster in ONNX Runtime.
  const inputName = q.graph?.input?.[0]?.name ?? '';
  const stem = rewriteStemAsSpaceToDepth(q, inputName);
  const meta = (q.metadataProps ?? []).filter(
    (p) => p.key !== 'mask_edge.precision' && p.key !== 'mask_edge.quantization',
  );
  meta.push(
    { key: 'mask_edge.precision', value: 'int8' },
    {
      key: 'mask_edge.quantization',
      value: JSON.stringify({
        format: 'QDQ',
        activations: 'uint8 asymmetric, static',
        weights: 'int8 symmetric per output channel',
        scope: quantization.scope,
        method: quantization.method,
        ...(quantization.method === 'percentile' ? { percentile: quantization.percentile } : {}),
        calibratedOn: quantization.calibratedOn,
        stem: stem.rewritten ? 'space-to-depth 2, 2x2 convolution' : `as converted (${stem.reason})`,
      }),
    },
  );
  q.metadataProps = meta;
  q.docString = `${q.docString ?? ''} (static INT8)`.trim();
  return encodeModel(q);
}
