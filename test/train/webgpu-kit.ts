/**
 * What the webgpu backend tests run: the student's, the from-scratch teacher's and a feature head's training
 * steps (the real trainer, KD loss included) and the frozen face-api backbones' forward pass, on whatever
 * backend tfjs is on. Shared by test/train/webgpu-backend.test.ts and bench/device/webgpu-parity.mjs' check.
 */
import * as tf from '@tensorflow/tfjs';
import type { RgbImage } from '../../src/core/image-io.js';
import { SeededRandom } from '../../src/core/seeded-random.js';
import { hintonLoss } from '../../src/train/kd/losses.js';
import { train } from '../../src/train/loop/trainer.js';
import { buildCnn, buildFeatureHead } from '../../src/train/models/cnn.js';
import { featureTask, imageTask, range, standardise } from '../../src/train/pipeline/tasks.js';
import { loadFaceApiBackbone } from '../../src/train/teachers/face-api-backbones.js';

export function syntheticImages(
  n: number,
  size: number,
  seed: number,
): { images: RgbImage[]; labels: number[]; ids: string[] } {
  const rng = new SeededRandom(seed);
  const images: RgbImage[] = [];
  const labels: number[] = [];
  for (let i = 0; i < n; i++) {
    const data = new Uint8Array(size * size * 3);
    for (let j = 0; j < data.length; j++) data[j] = Math.floor(rng.uniform(0, 255));
    images.push({ width: size, height: size, data });
    labels.push(i % 3);
  }
  return { images, labels, ids: labels.map((_, i) => `s${i}`) };
}

const OPTIONS = { epochs: 1, batchSize: 8, learningRate: 0.01, weightDecay: 0.01, seed: 3 };

/** One short epoch of the student with the Hinton KD loss, the scratch teacher and a feature head. */
export async function trainingSteps(): Promise<number[]> {
  const set = syntheticImages(16, 16, 1);
  const val = syntheticImages(6, 16, 2);
  const teacherLogits = new SeededRandom(4);
  const losses: number[] = [];

  const student = imageTask('student', buildCnn({ inputSize: 16, width: 4, blocks: 2, seed: 1 }), set, val);
  student.loss = (logits, labels) =>
    hintonLoss(
      logits,
      tf.tensor2d(
        Float32Array.from({ length: labels.length * 3 }, () => teacherLogits.uniform(-2, 2)),
        [labels.length, 3],
      ),
      tf.tensor1d(labels, 'int32'),
      { temperature: 4, alpha: 0.7, classWeights: [1, 2, 1] },
    );
  losses.push((await train(student, OPTIONS)).history[0]!.trainLoss);

  const scratch = buildCnn({ inputSize: 16, width: 4, blocks: 2, convsPerBlock: 2, seed: 2 });
  losses.push((await train(imageTask('scratch', scratch, set, val), OPTIONS)).history[0]!.trainLoss);

  const dim = 12;
  const rng = new SeededRandom(5);
  const rows = (n: number) => ({ rows: Float32Array.from({ length: n * dim }, () => rng.normal()), dim });
  const trainRows = rows(16);
  const head = featureTask(
    'head',
    buildFeatureHead(dim, 8, 3, 'head'),
    trainRows,
    set.labels,
    rows(6),
    val.labels,
    standardise(trainRows),
  );
  losses.push(
    (await train({ ...head, labels: range(16).map((i) => set.labels[i]!) }, OPTIONS)).history[0]!.trainLoss,
  );
  return losses;
}

/** The frozen backbones' forward pass on two crops (face-api's own weights). */
export async function backboneForward(): Promise<Float32Array[]> {
  const out: Float32Array[] = [];
  for (const name of ['face-recognition', 'landmark-tiny'] as const) {
    const backbone = await loadFaceApiBackbone(name);
    const crops = syntheticImages(2, backbone.inputSize, 7).images;
    const f = backbone.features(crops);
    out.push((await f.data()) as Float32Array);
    f.dispose();
  }
  return out;
}
