import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RgbImage } from '../../src/core/image-io.js';
import { SeededRandom } from '../../src/core/seeded-random.js';
import { startTrainingBackend } from '../../src/train/backends/index.js';
import { loadModel, saveModel } from '../../src/train/io/file-io-handler.js';
import { predictLogits, train } from '../../src/train/loop/trainer.js';
import { trainingForward } from '../../src/train/loop/training-forward.js';
import { buildCnn, countParameters } from '../../src/train/models/cnn.js';
import { imageBatch, imageTask } from '../../src/train/pipeline/tasks.js';

/** Synthetic faces: label 0 = lower half covered (light), 1 = middle band covered, 2 = uncovered, noisy. */
function syntheticSet(
  n: number,
  size: number,
  seed: number,
): { images: RgbImage[]; labels: number[]; ids: string[] } {
  const rng = new SeededRandom(seed);
  const images: RgbImage[] = [];
  const labels: number[] = [];
  for (let i = 0; i < n; i++) {
    const label = i % 3;
    const data = new Uint8Array(size * size * 3);
    for (let y = 0; y < size; y++) {
      for (let x = 0; x < size; x++) {
        const covered =
          (label === 0 && y >= size / 2) || (label === 1 && y >= size / 3 && y < (2 * size) / 3);
        for (let c = 0; c < 3; c++) {
          const base = covered ? 220 : 120 + 40 * c;
          data[(y * size + x) * 3 + c] = Math.max(0, Math.min(255, base + rng.normal() * 25));
        }
      }
    }
    images.push({ width: size, height: size, data });
    labels.push(label);
  }
  return { images, labels, ids: labels.map((_, i) => `s${i}`) };
}

let dir: string;

describe('training on the wasm backend', () => {
  beforeAll(async () => {
    await startTrainingBackend('wasm');
    dir = await mkdtemp(join(tmpdir(), 'mask-edge-train-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('a short real run lowers the loss and learns the task', async () => {
    const trainSet = syntheticSet(96, 16, 1);
    const valSet = syntheticSet(30, 16, 2);
    const model = buildCnn({ inputSize: 16, width: 8, blocks: 2, seed: 3 });
    const result = await train(imageTask('t', model, trainSet, valSet), {
      epochs: 6,
      batchSize: 16,
      learningRate: 0.01,
      weightDecay: 0.01,
      seed: 5,
    });
    const losses = result.history.map((h) => h.trainLoss);
    expect(losses[losses.length - 1]!).toBeLessThan(losses[0]! * 0.7);
    expect(Math.max(...result.history.map((h) => h.valAccuracy))).toBeGreaterThan(0.8);
  });

  it('the fast training forward matches tfjs-layers (outputs and gradients)', async () => {
    const model = buildCnn({ inputSize: 8, width: 4, blocks: 2, seed: 1 });
    const x = imageBatch(syntheticSet(4, 8, 9).images);
    const vars = model.trainableWeights.map((w) => w.read() as tf.Variable);
    const ref = tf.variableGrads(
      () => tf.sum(tf.square(model.apply(x, { training: true }) as tf.Tensor)) as tf.Scalar,
      vars,
    );
    const fast = tf.variableGrads(() => tf.sum(tf.square(trainingForward(model, x, []))) as tf.Scalar, vars);
    expect(fast.value.dataSync()[0]).toBeCloseTo(ref.value.dataSync()[0]!, 3);
    for (const v of vars) {
      const a = fast.grads[v.name]!.dataSync();
      const b = ref.grads[v.name]!.dataSync();
      const scale = Math.max(1e-3, ...Array.from(b, Math.abs));
      for (let i = 0; i < a.length; i++) expect(Math.abs(a[i]! - b[i]!) / scale).toBeLessThan(1e-3);
    }
  });

  it('Ctrl-C mid-epoch saves a checkpoint and --resume continues to the same weights as an uninterrupted run', async () => {
    const trainSet = syntheticSet(48, 12, 4);
    const valSet = syntheticSet(12, 12, 6);
    const options = { epochs: 3, batchSize: 8, learningRate: 0.01, weightDecay: 0.01, seed: 7 };
    const straight = buildCnn({ inputSize: 12, width: 4, blocks: 2, seed: 2 });
    const full = await train(imageTask('a', straight, trainSet, valSet), options);

    const ckpt = join(dir, 'resume');
    const first = buildCnn({ inputSize: 12, width: 4, blocks: 2, seed: 2 });
    let steps = 0;
    const part = await train(imageTask('b', first, trainSet, valSet), {
      ...options,
      checkpointDir: ckpt,
      shouldStop: () => steps++ >= 8, // stops in epoch 2 (6 steps per epoch)
    });
    expect(part.interrupted).toBe(true);
    expect(part.history.length).toBe(1);

    const second = buildCnn({ inputSize: 12, width: 4, blocks: 2, seed: 99 }); // fresh init, overwritten by the checkpoint
    const resumed = await train(imageTask('c', second, trainSet, valSet), {
      ...options,
      checkpointDir: ckpt,
      resume: true,
    });
    expect(resumed.interrupted).toBe(false);
    expect(resumed.history.map((h) => h.epoch)).toEqual([1, 2, 3]);
    expect(resumed.history.map((h) => h.trainLoss)).toEqual(full.history.map((h) => h.trainLoss));
    const a = await predictLogits(straight, 12, (s, e) => imageBatch(valSet.images.slice(s, e)));
    const b = await predictLogits(second, 12, (s, e) => imageBatch(valSet.images.slice(s, e)));
    expect(Array.from(b)).toEqual(Array.from(a));
  });

  it('saves and loads a student as model.json + weights.bin with identical predictions', async () => {
    const model = buildCnn({ inputSize: 16, width: 4, blocks: 2, seed: 4 });
    const target = join(dir, 'student');
    await saveModel(model, target);
    const loaded = await loadModel(target);
    expect(countParameters(loaded)).toBe(countParameters(model));
    expect(loaded.inputs[0]!.shape).toEqual([null, 16, 16, 3]);
    expect(loaded.outputs[0]!.shape).toEqual([null, 3]);
    const x = imageBatch(syntheticSet(3, 16, 5).images);
    expect(Array.from((loaded.predict(x) as tf.Tensor).dataSync())).toEqual(
      Array.from((model.predict(x) as tf.Tensor).dataSync()),
    );
  });
});
