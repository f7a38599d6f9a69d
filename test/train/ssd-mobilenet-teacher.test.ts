import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import * as ort from 'onnxruntime-node';
import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import { packageDir } from '../../src/core/package-paths.js';
import { SeededRandom } from '../../src/core/seeded-random.js';
import { buildSsdMobilenetGraph, ssdFeatureOutput } from '../../src/export/detector/ssd-mobilenet-graph.js';
import { readTfjsWeights } from '../../src/export/detector/tfjs-weights.js';
import { startTrainingBackend } from '../../src/train/backends/index.js';
import { faceApiModelDir } from '../../src/train/teachers/face-api-backbones.js';
import {
  buildSsdMobilenetClassifier,
  loadSsdMobilenetParams,
} from '../../src/train/teachers/ssd-mobilenet-teacher.js';

const SIZE = 96;

/** A real face photo from face-api's demo folder at SIZE x SIZE, 8-bit RGB. */
async function demoFace(): Promise<Uint8Array> {
  const { data } = await sharp(`${packageDir('@vladmandic/face-api')}/demo/sample1.jpg`)
    .resize(SIZE, SIZE)
    .removeAlpha()
    .raw()
    .toBuffer({ resolveWithObject: true });
  return new Uint8Array(data);
}

describe('ssd-mobilenet teacher: face-api SSD backbone as tfjs layers (real weights)', () => {
  beforeAll(async () => {
    await startTrainingBackend('wasm');
  });

  it('reproduces the detector graph feature maps in ONNX Runtime (blocks 11 and 13)', async () => {
    const rgb = await demoFace();
    const net = buildSsdMobilenetClassifier(await loadSsdMobilenetParams(), {
      inputSize: SIZE,
      frozenBlocks: 5,
      seed: 1,
      input: 'detector',
    });
    // The detector's own input convention: x / 127.5 - 1, NHWC for tfjs, NCHW for the ONNX graph.
    const nhwc = Float32Array.from(rgb, (v) => v / 127.5 - 1);
    const [b11, b13] = net.backbone.predict(tf.tensor4d(nhwc, [1, SIZE, SIZE, 3])) as tf.Tensor[];
    const ours = [(await b11!.data()) as Float32Array, (await b13!.data()) as Float32Array];
    const shapes = [b11!.shape, b13!.shape];
    expect(shapes).toEqual([
      [1, 6, 6, 512],
      [1, 3, 3, 1024],
    ]);
    const weights = await readTfjsWeights(
      join(faceApiModelDir(), 'ssd_mobilenetv1_model-weights_manifest.json'),
    );
    const { graph } = buildSsdMobilenetGraph(weights, SIZE, SIZE, { featureOutputs: true });
    const session = await ort.InferenceSession.create(graph.serialize());
    const nchw = new Float32Array(3 * SIZE * SIZE);
    for (let i = 0; i < SIZE * SIZE; i++)
      for (let c = 0; c < 3; c++) nchw[c * SIZE * SIZE + i] = nhwc[i * 3 + c]!;
    const out = await session.run({ image: new ort.Tensor('float32', nchw, [1, 3, SIZE, SIZE]) });
    for (const [k, name] of [ssdFeatureOutput(0), ssdFeatureOutput(1)].entries()) {
      const ref = out[name]!;
      const [, c, h, w] = ref.dims as number[];
      const data = ref.data as Float32Array;
      let maxDiff = 0;
      let maxRef = 0;
      for (let ch = 0; ch < c!; ch++)
        for (let y = 0; y < h!; y++)
          for (let x = 0; x < w!; x++) {
            const r = data[(ch * h! + y) * w! + x]!;
            maxRef = Math.max(maxRef, Math.abs(r));
            maxDiff = Math.max(maxDiff, Math.abs(r - ours[k]![(y * w! + x) * c! + ch]!));
          }
      expect(maxRef).toBeGreaterThan(0.5);
      expect(maxDiff).toBeLessThan(1e-3 * Math.max(1, maxRef));
    }
    await session.release();
  }, 120_000);

  it('folds ImageNet normalisation into the first conv: the same maps from the training crops', async () => {
    const rgb = await demoFace();
    const params = await loadSsdMobilenetParams();
    const detector = buildSsdMobilenetClassifier(params, {
      inputSize: SIZE,
      frozenBlocks: 5,
      seed: 1,
      input: 'detector',
    });
    const imagenet = buildSsdMobilenetClassifier(params, { inputSize: SIZE, frozenBlocks: 5, seed: 1 });
    const mean = [0.485, 0.456, 0.406];
    const std = [0.229, 0.224, 0.225];
    const d = tf.tensor4d(
      Float32Array.from(rgb, (v) => v / 127.5 - 1),
      [1, SIZE, SIZE, 3],
    );
    const n = tf.tensor4d(
      Float32Array.from(rgb, (v, i) => (v / 255 - mean[i % 3]!) / std[i % 3]!),
      [1, SIZE, SIZE, 3],
    );
    const a = (await (detector.backbone.predict(d) as tf.Tensor[])[1]!.data()) as Float32Array;
    const b = (await (imagenet.backbone.predict(n) as tf.Tensor[])[1]!.data()) as Float32Array;
    // Equal but for the border, where the zero padding stands for slightly different values.
    let diff = 0;
    let norm = 0;
    for (let i = 0; i < a.length; i++) {
      diff += Math.abs(a[i]! - b[i]!);
      norm += Math.abs(a[i]!);
    }
    expect(diff / norm).toBeLessThan(0.05);
  }, 120_000);

  it('trains only the blocks after the frozen ones and the head; one step changes them and not the stem', async () => {
    const net = buildSsdMobilenetClassifier(await loadSsdMobilenetParams(), {
      inputSize: 64,
      frozenBlocks: 5,
      seed: 3,
    });
    const trainable = net.top.trainableWeights.map((w) => w.originalName);
    expect(trainable.some((n) => n.startsWith('mobilenet_block6_'))).toBe(true);
    expect(trainable.some((n) => n.startsWith('mobilenet_block5_') || n.startsWith('mobilenet_conv0'))).toBe(
      false,
    );
    expect(trainable).toContain('mobilenet_logits/kernel');
    const rng = new SeededRandom(5);
    const x = tf.tensor4d(
      Float32Array.from({ length: 4 * 64 * 64 * 3 }, () => rng.uniform(-2, 2)),
      [4, 64, 64, 3],
    );
    const labels = tf.oneHot(tf.tensor1d([0, 1, 2, 1], 'int32'), 3);
    const stemBefore = (await (net.stem.predict(x) as tf.Tensor).data()) as Float32Array;
    const fullBefore = (await (net.full.predict(x) as tf.Tensor).data()) as Float32Array;
    const features = net.stem.predict(x) as tf.Tensor;
    const vars = net.top.trainableWeights.map((w) => w.read() as tf.Variable);
    const { grads } = tf.variableGrads(
      () =>
        tf.losses.softmaxCrossEntropy(
          labels,
          net.top.apply(features, { training: true }) as tf.Tensor,
        ) as tf.Scalar,
      vars,
    );
    tf.train.sgd(0.05).applyGradients(grads);
    const stemAfter = (await (net.stem.predict(x) as tf.Tensor).data()) as Float32Array;
    const fullAfter = (await (net.full.predict(x) as tf.Tensor).data()) as Float32Array;
    expect([...stemAfter]).toEqual([...stemBefore]);
    // `full` shares the trained layers with `top`: its logits moved.
    expect(fullAfter.some((v, i) => Math.abs(v - fullBefore[i]!) > 1e-4)).toBe(true);
  }, 120_000);

  it('refuses a frozen-block count outside the backbone, with the value', async () => {
    const params = await loadSsdMobilenetParams();
    expect(() => buildSsdMobilenetClassifier(params, { inputSize: 64, frozenBlocks: 13, seed: 1 })).toThrow(
      expect.objectContaining({ code: 'E_USAGE', detail: { frozenBlocks: 13 } }),
    );
  });
});
