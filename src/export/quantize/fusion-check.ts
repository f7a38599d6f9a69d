/**
 * Asks ONNX Runtime what it makes of a QDQ model: the session's optimized graph is saved
 * (`optimizedModelFilePath`) and its op types are read back, so callers can see QLinearConv / QLinearMatMul /
 * QGemm instead of float ops wrapped in Q/DQ.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { decodeModel } from '../onnx/graph-builder.js';

export const QUANTIZED_COMPUTE_OPS = [
  'QLinearConv',
  'QLinearMatMul',
  'QGemm',
  'ConvInteger',
  'MatMulInteger',
];

export interface FusionReport {
  opCounts: Record<string, number>;
  /** Conv/Gemm/MatMul left in float. */
  floatComputeOps: number;
  quantizedComputeOps: number;
}

export async function inspectOptimizedGraph(
  bytes: Uint8Array,
  level: 'basic' | 'extended' = 'extended',
): Promise<FusionReport> {
  const dir = await mkdtemp(join(tmpdir(), 'mask-edge-opt-'));
  try {
    const path = join(dir, 'optimized.onnx');
    const session = await ort.InferenceSession.create(bytes, {
      graphOptimizationLevel: level,
      optimizedModelFilePath: path,
    });
    await session.release();
    const model = decodeModel(new Uint8Array(await readFile(path)), path);
    const opCounts: Record<string, number> = {};
    for (const node of model.graph?.node ?? [])
      opCounts[node.opType ?? ''] = (opCounts[node.opType ?? ''] ?? 0) + 1;
    const count = (ops: string[]): number => ops.reduce((s, op) => s + (opCounts[op] ?? 0), 0);
    return {
      opCounts,
      floatComputeOps: count(['Conv', 'Gemm', 'MatMul', 'FusedConv', 'FusedGemm']),
      quantizedComputeOps: count(QUANTIZED_COMPUTE_OPS),
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
