import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { argmaxRows, softmax } from '../../src/core/metrics.js';
import { tensorToFloat32 } from '../../src/export/onnx/graph-builder.js';
import { type ConversionResult, convertLayersModel } from '../../src/export/onnx/tfjs-to-onnx.js';
import { inspectOptimizedGraph } from '../../src/export/quantize/fusion-check.js';
import { calibrate, quantizeWithStats } from '../../src/export/quantize/quantize-model.js';
import type { TensorStats } from '../../src/export/quantize/tensor-stats.js';
import { readTfjsCheckpoint } from '../../src/export/tfjs/checkpoint.js';
import { syntheticBatch } from './synthetic-faces.js';
import { nhwcToNchw, saveCheckpoint } from './tfjs-fixtures.js';
import { trainStudent } from './trained-student.js';

const SIZE = 16;
let dir: string;
let fp32: ConversionResult;
let stats: Map<string, TensorStats>;
const evalSet = syntheticBatch(30, SIZE, 7000); // unseen faces
const evalX = nhwcToNchw(evalSet.x, evalSet.n, SIZE, SIZE, 3);

async function logits(bytes: Uint8Array): Promise<Float32Array> {
  const s = await ort.InferenceSession.create(bytes);
  const out = await s.run({ input: new ort.Tensor('float32', evalX, [evalSet.n, 3, SIZE, SIZE]) });
  await s.release();
  return out.logits!.data as Float32Array;
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mask-edge-q-'));
  const path = await saveCheckpoint(await trainStudent(SIZE), join(dir, 'student'));
  fp32 = convertLayersModel(await readTfjsCheckpoint(path), { outputName: 'logits' });
  const calib = syntheticBatch(20, SIZE, 3000);
  stats = await calibrate(fp32.model, [
    { data: nhwcToNchw(calib.x, calib.n, SIZE, SIZE, 3), dims: [calib.n, 3, SIZE, SIZE] },
  ]);
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('static INT8 (QDQ) on a trained student', () => {
  it('ORT fuses every Conv and Gemm into QLinear ops (uint8 activations) and stays close to fp32', async () => {
    const q = quantizeWithStats(fp32.model, stats, 'minmax', 'uint8');
    const report = await inspectOptimizedGraph(q.bytes);
    expect(report.floatComputeOps).toBe(0);
    expect(report.opCounts.QLinearConv).toBe(3);
    expect(report.opCounts.QGemm).toBe(2);
    expect(report.opCounts.Relu ?? 0).toBe(0); // ReLU / Clip folded into the quantized range
    const ops = (q.model.graph?.node ?? []).map((n) => n.opType);
    expect(ops.filter((o) => o === 'DequantizeLinear').length).toBeGreaterThan(5);

    const ref = await logits(fp32.bytes);
    const got = await logits(q.bytes);
    const pr = softmax(ref, 3);
    const pq = softmax(got, 3);
    const maxProbDiff = Math.max(...pr.map((v, i) => Math.abs(v - pq[i]!)));
    const a = argmaxRows(pr, 3);
    const b = argmaxRows(pq, 3);
    const agreement = a.filter((v, i) => v === b[i]).length / a.length;
    expect(agreement).toBeGreaterThanOrEqual(0.95);
    expect(maxProbDiff).toBeLessThan(0.1);
    expect(q.bytes.length / fp32.bytes.length).toBeLessThan(0.3);
  });

  it('weights are per-channel symmetric int8, biases int32 with scale input_scale * weight_scale', () => {
    const q = quantizeWithStats(fp32.model, stats, 'percentile', 'uint8');
    const inits = new Map((q.model.graph?.initializer ?? []).map((t) => [t.name ?? '', t]));
    const nodes = q.model.graph?.node ?? [];
    const conv = nodes.find((n) => n.opType === 'Conv')!;
    const wDq = nodes.find((n) => n.output?.[0] === conv.input?.[1])!;
    const bDq = nodes.find((n) => n.output?.[0] === conv.input?.[2])!;
    const xDq = nodes.find((n) => n.output?.[0] === conv.input?.[0])!;
    expect(wDq.attribute?.find((a) => a.name === 'axis')?.i).toBe(0);
    const w = inits.get(wDq.input![0]!)!;
    expect(w.dataType).toBe(3); // INT8
    const wScale = tensorToFloat32(inits.get(wDq.input![1]!)!);
    expect(wScale.length).toBe(Number(w.dims![0]));
    const wZp = inits.get(wDq.input![2]!)!;
    expect([...new Int8Array(new Uint8Array(wZp.rawData!).buffer)].every((z) => z === 0)).toBe(true);
    const b = inits.get(bDq.input![0]!)!;
    expect(b.dataType).toBe(6); // INT32
    const bScale = tensorToFloat32(inits.get(bDq.input![1]!)!);
    const xScale = tensorToFloat32(inits.get(xDq.input![1]!)!)[0]!;
    for (const [c, s] of bScale.entries()) expect(s).toBeCloseTo(xScale * wScale[c]!, 10);
  });

  it('int8 (symmetric, TensorRT-style) activations have zero points of 0 and still fuse the convolutions', async () => {
    const q = quantizeWithStats(fp32.model, stats, 'minmax', 'int8');
    const inits = new Map((q.model.graph?.initializer ?? []).map((t) => [t.name ?? '', t]));
    const qNodes = (q.model.graph?.node ?? []).filter((n) => n.opType === 'QuantizeLinear');
    expect(qNodes.length).toBeGreaterThan(3);
    for (const n of qNodes) {
      const zp = inits.get(n.input![2]!)!;
      expect(zp.dataType).toBe(3);
      expect(new Uint8Array(zp.rawData!)[0]).toBe(0);
    }
    const report = await inspectOptimizedGraph(q.bytes);
    expect(report.opCounts.QLinearConv).toBe(3);
    const agreement = argmaxRows(await logits(q.bytes), 3).filter(
      (v, i) => v === argmaxRows(evalSet.y, 3)[i],
    ).length;
    expect(agreement / evalSet.n).toBeGreaterThan(0.9);
  });
});
