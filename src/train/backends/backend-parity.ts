/**
 * Does a training backend compute what the cpu backend computes? The student's, the from-scratch teacher's and
 * a feature head's loss and gradients for one batch (the trainer's own forward and the distillation loss), and
 * the frozen face-api backbones' features, each on cpu and on the backend under test, compared by the largest
 * difference relative to the largest cpu value (1e-4 passes). Also the steps a short `train()` takes, for the
 * tests that prove a backend runs the trainer end to end. Used by test/train/webgpu-backend.test.ts and, on a
 * GPU machine, by bench/device/webgpu-parity.mjs.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import type { RgbImage } from '../../core/image-io.js';
import { SeededRandom } from '../../core/seeded-random.js';
import { hintonLoss, weightedCrossEntropy } from '../kd/losses.js';
import { train } from '../loop/trainer.js';
import { trainingForward } from '../loop/training-forward.js';
import { buildCnn, buildFeatureHead } from '../models/cnn.js';
import { featureTask, imageBatch, imageTask, range, standardise } from '../pipeline/tasks.js';
import {
  type FACE_API_BACKBONES,
  faceApiModelDir,
  loadFaceApiBackbone,
} from '../teachers/face-api-backbones.js';

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

const TRAIN_OPTIONS = { epochs: 1, batchSize: 8, learningRate: 0.01, weightDecay: 0.01, seed: 3 };

function randomTeacherLogits(n: number, seed: number): tf.Tensor2D {
  const rng = new SeededRandom(seed);
  return tf.tensor2d(
    Float32Array.from({ length: n * 3 }, () => rng.uniform(-2, 2)),
    [n, 3],
  );
}

/** One short epoch of the student (Hinton KD loss), the scratch teacher and a feature head; their losses. */
export async function trainingSteps(): Promise<number[]> {
  const set = syntheticImages(16, 16, 1);
  const val = syntheticImages(6, 16, 2);
  const losses: number[] = [];
  const student = imageTask('student', buildCnn({ inputSize: 16, width: 4, blocks: 2, seed: 1 }), set, val);
  student.loss = (logits, labels) =>
    hintonLoss(logits, randomTeacherLogits(labels.length, 4), tf.tensor1d(labels, 'int32'), {
      temperature: 4,
      alpha: 0.7,
      classWeights: [1, 2, 1],
    });
  losses.push((await train(student, TRAIN_OPTIONS)).history[0]!.trainLoss);
  const scratch = buildCnn({ inputSize: 16, width: 4, blocks: 2, convsPerBlock: 2, seed: 2 });
  losses.push((await train(imageTask('scratch', scratch, set, val), TRAIN_OPTIONS)).history[0]!.trainLoss);
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
    (await train({ ...head, labels: range(16).map((i) => set.labels[i]!) }, TRAIN_OPTIONS)).history[0]!
      .trainLoss,
  );
  return losses;
}

/** Backbones whose weights are on disk (the device carry leaves the 6 MB face-recognition weights out). */
export function availableBackbones(
  names: readonly (keyof typeof FACE_API_BACKBONES)[] = ['face-recognition', 'landmark-tiny'],
): (keyof typeof FACE_API_BACKBONES)[] {
  const files: Record<string, string> = {
    'face-recognition': 'face_recognition_model.bin',
    'landmark-tiny': 'face_landmark_68_tiny_model.bin',
  };
  return names.filter((n) => !files[n] || existsSync(join(faceApiModelDir(), files[n]!)));
}

/** The frozen backbones' features for two crops, by backbone name. */
export async function backboneForward(names = availableBackbones()): Promise<Record<string, Float32Array>> {
  const out: Record<string, Float32Array> = {};
  for (const name of names) {
    const backbone = await loadFaceApiBackbone(name);
    const f = backbone.features(syntheticImages(2, backbone.inputSize, 7).images);
    out[name] = (await f.data()) as Float32Array;
    f.dispose();
  }
  return out;
}

interface GradCase {
  name: string;
  model: tf.LayersModel;
  x: tf.Tensor;
  loss(logits: tf.Tensor2D): tf.Scalar;
}

function gradCases(): GradCase[] {
  const labels = tf.tensor1d([0, 1, 2, 0, 1, 2, 0, 1], 'int32');
  const images = imageBatch(syntheticImages(8, 16, 11).images);
  const features = tf.tensor2d(
    Float32Array.from({ length: 8 * 12 }, (_, i) => Math.sin(i * 0.37)),
    [8, 12],
  );
  return [
    {
      name: 'student (conv, batchnorm, leaky relu, maxpool, dense; KD loss)',
      model: buildCnn({ inputSize: 16, width: 4, blocks: 2, seed: 1 }),
      x: images,
      loss: (logits) =>
        hintonLoss(logits, randomTeacherLogits(8, 9), labels, {
          temperature: 4,
          alpha: 0.7,
          classWeights: [1, 2, 1],
        }),
    },
    {
      name: 'scratch teacher (2 convs per block)',
      model: buildCnn({ inputSize: 16, width: 4, blocks: 2, convsPerBlock: 2, seed: 2 }),
      x: images,
      loss: (logits) => weightedCrossEntropy(logits, labels, [1, 2, 1]),
    },
    {
      name: 'feature head (dense, leaky relu)',
      model: buildFeatureHead(12, 8, 3, 'head'),
      x: features,
      loss: (logits) => weightedCrossEntropy(logits, labels),
    },
  ];
}

async function lossAndGrads(c: GradCase): Promise<Float32Array[]> {
  const vars = c.model.trainableWeights.map((w) => w.read() as tf.Variable);
  const { value, grads } = tf.variableGrads(
    () => c.loss(trainingForward(c.model, c.x, []) as tf.Tensor2D),
    vars,
  );
  const out = [(await value.data()) as Float32Array];
  for (const v of vars) out.push((await grads[v.name]!.data()) as Float32Array);
  tf.dispose([value, grads]);
  return out;
}

/** Largest |a - b| over the largest |b| (at least 1e-3, so tiny gradients do not blow the ratio up). */
export function relativeError(a: Float32Array, b: Float32Array): number {
  let diff = 0;
  let scale = 1e-3;
  for (let i = 0; i < b.length; i++) {
    diff = Math.max(diff, Math.abs(a[i]! - b[i]!));
    scale = Math.max(scale, Math.abs(b[i]!));
  }
  return a.length === b.length ? diff / scale : Number.POSITIVE_INFINITY;
}

export interface ParityRow {
  what: string;
  relativeError: number;
  pass: boolean;
}

/** Compares the backend `tfjsName` with cpu: loss + gradients of each case, then backbone features. */
export async function compareWithCpu(tfjsName: string, tolerance = 1e-4): Promise<ParityRow[]> {
  const rows: ParityRow[] = [];
  await tf.setBackend('cpu');
  const cases = gradCases();
  const expected: Float32Array[][] = [];
  for (const c of cases) expected.push(await lossAndGrads(c));
  const expectedFeatures = await backboneForward();
  await tf.setBackend(tfjsName);
  for (const [i, c] of cases.entries()) {
    const actual = await lossAndGrads(c); // variables and inputs move to the backend on first use
    const err = Math.max(...actual.map((a, j) => relativeError(a, expected[i]![j]!)));
    rows.push({ what: `${c.name}: loss and gradients`, relativeError: err, pass: err < tolerance });
  }
  const features = await backboneForward(
    Object.keys(expectedFeatures) as (keyof typeof FACE_API_BACKBONES)[],
  );
  for (const [name, f] of Object.entries(expectedFeatures)) {
    const err = relativeError(features[name]!, f);
    rows.push({ what: `${name} backbone: features`, relativeError: err, pass: err < tolerance });
  }
  return rows;
}
