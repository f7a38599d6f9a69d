/**
 * Calibration pass: runs the fp32 model in ONNX Runtime with every activation tensor exposed as an extra graph
 * output, over the calibration batches, twice (exact min/max, then histograms over that range).
 */
import * as ort from 'onnxruntime-node';
import { encodeModel, type ModelProto, onnx } from '../onnx/graph-builder.js';
import { activationTensors, cloneModel } from './model-graph.js';
import { TensorStats } from './tensor-stats.js';

export interface CalibrationBatch {
  data: Float32Array;
  dims: number[];
}

export function instrumentModel(model: ModelProto): { model: ModelProto; tensors: string[] } {
  const copy = cloneModel(model);
  const graph = copy.graph!;
  const existing = new Set((graph.output ?? []).map((o) => o.name));
  const tensors = activationTensors(copy);
  for (const name of tensors) {
    if (existing.has(name)) continue;
    graph.output!.push(
      onnx.ValueInfoProto.create({
        name,
        type: { tensorType: { elemType: onnx.TensorProto.DataType.FLOAT } },
      }),
    );
  }
  return { model: copy, tensors };
}

export async function collectStats(
  model: ModelProto,
  batches: CalibrationBatch[],
  onProgress?: (done: number, total: number) => void,
): Promise<Map<string, TensorStats>> {
  const { model: instrumented, tensors } = instrumentModel(model);
  const session = await ort.InferenceSession.create(encodeModel(instrumented), {
    graphOptimizationLevel: 'disabled',
  });
  const inputName = session.inputNames[0]!;
  const stats = new Map(tensors.map((t) => [t, new TensorStats()]));
  try {
    for (let pass = 0; pass < 2; pass++) {
      for (const [i, batch] of batches.entries()) {
        const out = await session.run({ [inputName]: new ort.Tensor('float32', batch.data, batch.dims) });
        for (const name of tensors) {
          const values = name === inputName ? batch.data : (out[name]?.data as Float32Array | undefined);
          if (!values) continue;
          if (pass === 0) stats.get(name)!.observeRange(values);
          else stats.get(name)!.observeHistogram(values);
        }
        onProgress?.(pass * batches.length + i + 1, 2 * batches.length);
      }
    }
  } finally {
    await session.release();
  }
  return stats;
}
