import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { SeededRandom } from '../../src/core/seeded-random.js';
import { startTrainingBackend } from '../../src/train/backends/index.js';

function randomTensor(shape: number[], rng: SeededRandom): tf.Tensor {
  const size = shape.reduce((a, b) => a * b, 1);
  return tf.tensor(
    Float32Array.from({ length: size }, () => rng.uniform(-1, 1)),
    shape,
  );
}

async function onBackend<_T>(name: string, fn: () => tf.Tensor): Promise<Float32Array> {
  await tf.setBackend(name);
  const out = fn();
  const data = (await out.data()) as Float32Array;
  out.dispose();
  return data;
}

/** The same op on tfjs's cpu and on wasm (with mask-edge's kernels): equal within 1e-4, and not trivially zero. */
async function expectWasmMatchesCpu(op: () => tf.Tensor): Promise<void> {
  const expected = await onBackend('cpu', op);
  const actual = await onBackend('wasm', op);
  expect(actual.length).toBe(expected.length);
  let maxErr = 0;
  for (let i = 0; i < expected.length; i++) maxErr = Math.max(maxErr, Math.abs(actual[i]! - expected[i]!));
  expect(maxErr).toBeLessThan(1e-4);
  expect(Math.max(...Array.from(expected, Math.abs))).toBeGreaterThan(0.1);
}

describe('wasm Conv2DBackpropFilter', () => {
  beforeAll(async () => {
    await startTrainingBackend('wasm');
  });

  const cases: {
    x: [number, number, number, number];
    k: number;
    co: number;
    stride: number;
    pad: 'same' | 'valid';
  }[] = [
    { x: [2, 8, 8, 3], k: 3, co: 4, stride: 1, pad: 'same' },
    { x: [2, 8, 8, 3], k: 3, co: 4, stride: 1, pad: 'valid' },
    { x: [3, 9, 7, 2], k: 3, co: 5, stride: 2, pad: 'same' },
    { x: [3, 9, 7, 2], k: 3, co: 5, stride: 2, pad: 'valid' },
    { x: [1, 10, 10, 4], k: 5, co: 2, stride: 3, pad: 'same' },
    { x: [4, 12, 11, 1], k: 2, co: 3, stride: 2, pad: 'valid' },
    { x: [2, 6, 6, 8], k: 1, co: 6, stride: 1, pad: 'same' },
  ];

  for (const c of cases) {
    it(`matches cpu for x=${c.x} k=${c.k} stride=${c.stride} pad=${c.pad}`, async () => {
      const rng = new SeededRandom(c.x[1] * 31 + c.k * 7 + c.stride);
      const filterShape: [number, number, number, number] = [c.k, c.k, c.x[3], c.co];
      const x = randomTensor(c.x, rng) as tf.Tensor4D;
      // dy has the forward output's shape: take it from a forward conv on cpu.
      await tf.setBackend('cpu');
      const yShape = tf.conv2d(x, tf.zeros(filterShape) as tf.Tensor4D, c.stride, c.pad).shape;
      const dy = randomTensor(yShape, rng) as tf.Tensor4D;
      const grad = () =>
        tf.engine().runKernel(
          'Conv2DBackpropFilter',
          { x, dy },
          {
            filterShape,
            strides: c.stride,
            pad: c.pad,
            dataFormat: 'NHWC',
          },
        ) as tf.Tensor;
      await expectWasmMatchesCpu(grad);
    });
  }

  for (const c of cases.filter((k) => k.stride === 1)) {
    it(`Conv2DBackpropInput (conv-based, stride 1) matches cpu for x=${c.x} k=${c.k} pad=${c.pad}`, async () => {
      const rng = new SeededRandom(c.x[2] * 13 + c.k);
      const filter = randomTensor([c.k, c.k, c.x[3], c.co], rng) as tf.Tensor4D;
      await tf.setBackend('cpu');
      const yShape = tf.conv2d(tf.zeros(c.x) as tf.Tensor4D, filter, 1, c.pad).shape;
      const dy = randomTensor(yShape, rng) as tf.Tensor4D;
      const grad = () => tf.conv2dTranspose(dy, filter, c.x, 1, c.pad);
      const expected = await onBackend('cpu', grad);
      const actual = await onBackend('wasm', grad);
      let maxErr = 0;
      for (let i = 0; i < expected.length; i++)
        maxErr = Math.max(maxErr, Math.abs(actual[i]! - expected[i]!));
      expect(maxErr).toBeLessThan(1e-4);
    });
  }

  it('MaxPoolGrad (2x2/2 fast path) matches cpu', async () => {
    const rng = new SeededRandom(77);
    const x = randomTensor([2, 8, 6, 3], rng);
    const grad = () =>
      tf.grad((a: tf.Tensor) =>
        tf
          .mul(
            tf.maxPool(a as tf.Tensor4D, 2, 2, 'valid'),
            tf.range(1, 1 + 2 * 4 * 3 * 3).reshape([2, 4, 3, 3]),
          )
          .sum(),
      )(x);
    const expected = await onBackend('cpu', grad);
    const actual = await onBackend('wasm', grad);
    expect(Array.from(actual)).toEqual(Array.from(expected));
    expect(expected.filter((v) => v !== 0).length).toBe(2 * 4 * 3 * 3);
  });

  it('lets tf.grad train a conv layer on wasm', async () => {
    await tf.setBackend('wasm');
    const rng = new SeededRandom(5);
    const x = randomTensor([2, 6, 6, 3], rng) as tf.Tensor4D;
    const w = randomTensor([3, 3, 3, 2], rng) as tf.Tensor4D;
    const g = tf.grad((f: tf.Tensor) =>
      tf
        .conv2d(x, f as tf.Tensor4D, 2, 'same')
        .square()
        .sum(),
    )(w);
    expect(g.shape).toEqual([3, 3, 3, 2]);
    await tf.setBackend('cpu');
    const gCpu = tf.grad((f: tf.Tensor) =>
      tf
        .conv2d(x, f as tf.Tensor4D, 2, 'same')
        .square()
        .sum(),
    )(w);
    const diff = tf.max(tf.abs(tf.sub(g, gCpu))).dataSync()[0]!;
    expect(diff).toBeLessThan(1e-3);
    await tf.setBackend('wasm');
  });

  const depthwiseCases: { x: [number, number, number, number]; stride: number; pad: 'same' | 'valid' }[] = [
    { x: [2, 8, 8, 5], stride: 1, pad: 'same' },
    { x: [2, 9, 7, 3], stride: 2, pad: 'same' },
    { x: [3, 8, 8, 4], stride: 2, pad: 'same' },
    { x: [1, 7, 9, 6], stride: 2, pad: 'valid' },
  ];
  for (const c of depthwiseCases) {
    it(`depthwise conv gradients (input and filter) match cpu for x=${c.x} stride=${c.stride} pad=${c.pad}`, async () => {
      const rng = new SeededRandom(c.x[1] * 17 + c.x[3] + c.stride);
      const x = randomTensor(c.x, rng) as tf.Tensor4D;
      const w = randomTensor([3, 3, c.x[3], 1], rng) as tf.Tensor4D;
      await tf.setBackend('cpu');
      const yShape = tf.depthwiseConv2d(x, w, c.stride, c.pad).shape;
      const weights = randomTensor(yShape, rng);
      // A loss whose gradient dy differs per output value, so every tap is checked.
      const loss = (a: tf.Tensor, f: tf.Tensor) =>
        tf.sum(tf.mul(tf.depthwiseConv2d(a as tf.Tensor4D, f as tf.Tensor4D, c.stride, c.pad), weights));
      for (const which of [0, 1]) {
        await expectWasmMatchesCpu(() => tf.grads(loss)([x, w])[which]!);
      }
    });
  }
});
