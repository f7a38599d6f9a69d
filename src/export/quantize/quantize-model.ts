/** Static INT8: calibration statistics -> QDQ model for one calibration method. */
import { encodeModel, type ModelProto } from '../onnx/graph-builder.js';
import { type CalibrationBatch, collectStats } from './calibrate.js';
import { type QuantizeScope, quantizeToQdq } from './qdq-rewrite.js';
import type { ActivationType } from './quant-params.js';
import type { CalibrationMethod, TensorStats } from './tensor-stats.js';

export type { CalibrationBatch } from './calibrate.js';
export type { QuantizeScope } from './qdq-rewrite.js';
export type { ActivationType } from './quant-params.js';
export { CALIBRATION_METHODS, type CalibrationMethod } from './tensor-stats.js';

export interface QuantizedModel {
  method: CalibrationMethod;
  model: ModelProto;
  bytes: Uint8Array;
  quantizedTensors: number;
}

export function calibrate(
  model: ModelProto,
  batches: CalibrationBatch[],
  onProgress?: (done: number, total: number) => void,
): Promise<Map<string, TensorStats>> {
  return collectStats(model, batches, onProgress);
}

export function quantizeWithStats(
  fp32: ModelProto,
  stats: Map<string, TensorStats>,
  method: CalibrationMethod,
  activationType: ActivationType = 'uint8',
  percentile = 99.99,
  scope: QuantizeScope = 'all',
): QuantizedModel {
  const ranges = new Map(
    [...stats].map(([name, s]) => [name, s.range(method, percentile)] as [string, [number, number]]),
  );
  const { model, quantizedTensors } = quantizeToQdq(fp32, { activationType, ranges, scope });
  return { method, model, bytes: encodeModel(model), quantizedTensors };
}
