import * as tf from '@tensorflow/tfjs';
import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import { packageDir } from '../../src/core/package-paths.js';
import { startTrainingBackend } from '../../src/train/backends/index.js';
import { loadFaceApiBackbone } from '../../src/train/teachers/face-api-backbones.js';

/** A real face photo from face-api's demo folder, resized to the backbone's 150 px. */
async function demoCrop(): Promise<{ width: number; height: number; data: Uint8Array }> {
  const { data, info } = await sharp(`${packageDir('@vladmandic/face-api')}/demo/sample1.jpg`)
    .resize(150, 150)
    .removeAlpha()
    .raw()
    .toBuffer({ resolveWithObject: true });
  return { width: info.width, height: info.height, data: new Uint8Array(data) };
}

describe('face-recognition ResNet feature stages (real face-api weights)', () => {
  beforeAll(async () => {
    await startTrainingBackend('wasm');
  });

  it('mid = the 4x4x256 map one stage before the last 2x2x256 map; both finite and image-dependent', async () => {
    const last = await loadFaceApiBackbone('face-recognition');
    const mid = await loadFaceApiBackbone('face-recognition-mid');
    expect(last.featureSize).toBe(2 * 2 * 256);
    expect(mid.featureSize).toBe(4 * 4 * 256);
    expect(mid.parameters).toBe(last.parameters);
    const face = await demoCrop();
    const grey = { width: 150, height: 150, data: new Uint8Array(150 * 150 * 3).fill(128) };
    const f = mid.features([face, grey]);
    expect(f.shape).toEqual([2, 4096]);
    const rows = (await f.array()) as number[][];
    f.dispose();
    expect(rows.flat().every(Number.isFinite)).toBe(true);
    const diff = rows[0]!.reduce((s, v, i) => s + Math.abs(v - rows[1]![i]!), 0);
    expect(diff).toBeGreaterThan(1);
    expect(tf.memory().numTensors).toBeLessThan(1000);
  }, 120_000);

  it('feature extraction frees everything but the returned features (no leak per batch)', async () => {
    const last = await loadFaceApiBackbone('face-recognition');
    const face = await demoCrop();
    const before = tf.memory().numTensors;
    for (let i = 0; i < 3; i++) last.features([face, face]).dispose();
    expect(tf.memory().numTensors).toBe(before);
  }, 120_000);
});

describe('more face-api backbones as teacher candidates (real weights)', () => {
  beforeAll(async () => {
    await startTrainingBackend('wasm');
  });

  it('landmark (256-d), expression (256-d) and age-gender (2x2x512) give finite, image-dependent features', async () => {
    const face = await demoCrop();
    const grey = { width: 150, height: 150, data: new Uint8Array(150 * 150 * 3).fill(128) };
    for (const [name, size] of [
      ['landmark', 256],
      ['expression', 256],
      ['age-gender', 2 * 2 * 512],
    ] as const) {
      const b = await loadFaceApiBackbone(name);
      expect(b.featureSize, name).toBe(size);
      const before = tf.memory().numTensors;
      const f = b.features([face, grey]);
      const rows = (await f.array()) as number[][];
      f.dispose();
      expect(tf.memory().numTensors, name).toBe(before);
      expect(rows.flat().every(Number.isFinite), name).toBe(true);
      expect(
        rows[0]!.reduce((s, v, i) => s + Math.abs(v - rows[1]![i]!), 0),
        name,
      ).toBeGreaterThan(0.1);
    }
  }, 120_000);
});
