/**
 * The INT8 SSD's stem convolution read through SpaceToDepth (src/export/detector/space-to-depth-stem.ts): the
 * rewritten detector gives the outputs of the QDQ graph it came from in ONNX Runtime, on real photos; the graph
 * changes as described; graphs of another shape are left as they were, with the reason.
 */
import { readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeImage } from '../../src/core/image-io.js';
import { MODELS_DIR, packageDir } from '../../src/core/package-paths.js';
import { parseDetectorContract } from '../../src/edge/inference/detector-contract.js';
import { letterbox } from '../../src/edge/inference/detector-input.js';
import { DETECTOR_ZOO } from '../../src/edge/inference/detector-zoo.js';
import { buildFaceDetector } from '../../src/export/detector/build-face-detector.js';
import type { DetectorQuantization } from '../../src/export/detector/quantize-detector.js';
import {
  rewriteStemAsSpaceToDepth,
  spaceToDepthWeights,
} from '../../src/export/detector/space-to-depth-stem.js';
import { decodeModel, encodeModel, GraphBuilder } from '../../src/export/onnx/graph-builder.js';
import { inspectOptimizedGraph } from '../../src/export/quantize/fusion-check.js';
import { quantizeToQdq } from '../../src/export/quantize/qdq-rewrite.js';

const ZOO = DETECTOR_ZOO.find((d) => d.name === 'ssd-mobilenet-v1-512x384-int8')!;
let dir: string;
let fp32: Uint8Array;
let ranges: DetectorQuantization;

/** CPUs whose u8 x s8 dot products are exact (VNNI); AVX2 without it saturates int16 pair sums in ORT's kernel. */
const exactInt8Dots = (() => {
  try {
    return /\b(avx512_vnni|avx_vnni)\b/.test(readFileSync('/proc/cpuinfo', 'utf8'));
  } catch {
    return false;
  }
})();

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mask-edge-stem-'));
  ranges = JSON.parse(await readFile(join(MODELS_DIR, ZOO.int8RangesFile!), 'utf8'));
  const built = await buildFaceDetector({ out: join(dir, 'fp32.onnx'), inputSize: 512, inputHeight: 384 });
  fp32 = new Uint8Array(await readFile(built.path));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('space-to-depth stem of the INT8 SSD', () => {
  it('gives the outputs of the QDQ graph it rewrites, on photos, and runs as QLinearConv', async () => {
    const qdq = quantizeToQdq(decodeModel(fp32), {
      activationType: 'uint8',
      ranges: new Map(Object.entries(ranges.ranges)),
      scope: ranges.scope,
    }).model;
    const before = encodeModel(qdq);
    expect(rewriteStemAsSpaceToDepth(qdq, 'image')).toEqual({ rewritten: true });
    const after = encodeModel(qdq);
    const [first, second] = qdq.graph!.node!;
    expect(first!.opType).toBe('SpaceToDepth');
    expect(second!.opType).toBe('QuantizeLinear');
    const conv = qdq.graph!.node!.find((n) => n.opType === 'Conv')!;
    const attr = (name: string) => conv.attribute!.find((a) => a.name === name)!.ints!.map(Number);
    expect([attr('kernel_shape'), attr('strides'), attr('pads')]).toEqual([
      [2, 2],
      [1, 1],
      [0, 0, 1, 1],
    ]);

    const options = {
      graphOptimizationLevel: 'all' as const,
      intraOpNumThreads: 1,
      logSeverityLevel: 3 as const,
    };
    const reference = await ort.InferenceSession.create(before, options);
    const rewritten = await ort.InferenceSession.create(after, options);
    // the built detector's own input contract (size, normalisation), as the agent reads it
    const metadata = Object.fromEntries(
      (decodeModel(fp32).metadataProps ?? []).map((p) => [p.key ?? '', p.value ?? '']),
    );
    const contract = parseDetectorContract(metadata, 'fp32.onnx');
    let maxScore = 0;
    let maxBox = 0;
    let confident = 0;
    for (const i of [1, 2, 6]) {
      const photo = await decodeImage(join(packageDir('@vladmandic/face-api'), 'demo', `sample${i}.jpg`));
      const image = new ort.Tensor('float32', letterbox(photo, contract).tensor, [1, 3, 384, 512]);
      const a = await reference.run({ image });
      const b = await rewritten.run({ image });
      const scoresA = a.scores!.data as Float32Array;
      const scoresB = b.scores!.data as Float32Array;
      const boxA = a.box_encodings!.data as Float32Array;
      const boxB = b.box_encodings!.data as Float32Array;
      for (let k = 0; k < scoresA.length; k++) {
        maxScore = Math.max(maxScore, Math.abs(scoresA[k]! - scoresB[k]!));
        if (scoresA[k]! >= 0.5) confident += 1;
      }
      for (let k = 0; k < boxA.length; k++) maxBox = Math.max(maxBox, Math.abs(boxA[k]! - boxB[k]!));
    }
    await reference.release();
    await rewritten.release();
    expect(confident).toBeGreaterThan(5); // the photos have faces
    // Measured on x64 with VNNI: identical (0). Same integer products, only their order changes.
    if (exactInt8Dots) {
      expect(maxScore).toBe(0);
      expect(maxBox).toBe(0);
    } else {
      expect(maxScore).toBeLessThan(0.05);
      expect(maxBox).toBeLessThan(0.2);
    }
    const report = await inspectOptimizedGraph(after);
    expect(report.opCounts.QLinearConv).toBe(47);
    expect(report.floatComputeOps).toBe(0);
  });

  it('is what the built INT8 detectors carry, said in their quantization metadata', async () => {
    const built = await buildFaceDetector({
      out: join(dir, 'int8.onnx'),
      inputSize: 512,
      inputHeight: 384,
      int8: ranges,
    });
    const model = decodeModel(new Uint8Array(await readFile(built.path)));
    expect(model.graph!.node![0]!.opType).toBe('SpaceToDepth');
    const scheme = model.metadataProps!.find((p) => p.key === 'mask_edge.quantization')!.value!;
    expect(JSON.parse(scheme).stem).toBe('space-to-depth 2, 2x2 convolution');
  });

  it('moves each 3x3 stride-2 weight to its block and channel, zeros where the 2x2 kernel reaches row/column 3', () => {
    // One output channel, two input channels, weights numbered 1..18 in [O, C, 3, 3] order.
    const w = Int8Array.from({ length: 18 }, (_, i) => i + 1);
    const out = spaceToDepthWeights(w, 1, 2);
    expect(out.length).toBe(1 * 8 * 4);
    const at = (ch: number, ky: number, kx: number) => out[(ch * 2 + ky) * 2 + kx];
    // Block offset (by, bx) = (0, 0), channel 0: kernel taps (dy, dx) = (0, 0), (0, 2), (2, 0), (2, 2).
    expect([at(0, 0, 0), at(0, 0, 1), at(0, 1, 0), at(0, 1, 1)]).toEqual([1, 3, 7, 9]);
    // (by, bx) = (1, 1), channel 1: taps (1, 1) only; (1, 3), (3, 1), (3, 3) are past the 3x3 kernel.
    expect([at(7, 0, 0), at(7, 0, 1), at(7, 1, 0), at(7, 1, 1)]).toEqual([9 + 5, 0, 0, 0]);
    // (by, bx) = (0, 1), channel 0: taps (0, 1) and (2, 1).
    expect([at(2, 0, 0), at(2, 0, 1), at(2, 1, 0), at(2, 1, 1)]).toEqual([2, 0, 8, 0]);
  });

  it('leaves graphs of another shape as they were and says why', () => {
    const graph = (height: number, stride: number) => {
      const g = new GraphBuilder('stem');
      g.addInput('x', 'float32', [1, 3, height, 8]);
      const w = g.addInitializer('w', 'float32', [4, 3, 3, 3], new Float32Array(108).fill(0.1));
      const y = g.op('Conv', ['x', w], {
        kernel_shape: [3, 3],
        strides: [stride, stride],
        pads: [0, 0, 1, 1],
      });
      g.addNode('Identity', [y], ['y']);
      g.addOutput('y', 'float32', [1, 4, 'H', 'W']);
      const ranges = new Map<string, [number, number]>([
        ['x', [-1, 1]],
        [y, [0, 4]],
        ['y', [0, 4]],
      ]);
      return quantizeToQdq(g.toModel(), { activationType: 'uint8', ranges }).model;
    };
    expect(rewriteStemAsSpaceToDepth(graph(7, 2), 'x')).toMatchObject({
      rewritten: false,
      reason: expect.stringContaining('even H'),
    });
    expect(rewriteStemAsSpaceToDepth(graph(8, 1), 'x')).toMatchObject({
      rewritten: false,
      reason: expect.stringContaining('3x3 stride-2'),
    });
    expect(rewriteStemAsSpaceToDepth(graph(8, 2), 'nope')).toMatchObject({ rewritten: false });
    const model = graph(8, 2);
    expect(rewriteStemAsSpaceToDepth(model, 'x')).toEqual({ rewritten: true });
  });
});
