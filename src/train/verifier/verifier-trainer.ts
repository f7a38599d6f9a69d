/**
 * Trains the face verifier (src/core/face-verifier-spec.ts): a small CNN on context crops of detector boxes,
 * one face logit (binary cross-entropy, classes weighted to balance faces and not_faces) and box deltas per
 * annotation convention (smooth L1 on faces, only on the head of the photo's own convention). Horizontal flips
 * (dx negated) and brightness jitter; the epoch with the lowest validation loss is kept.
 */
import * as tf from '@tensorflow/tfjs';
import { type MinedPhoto, VERIFIER_INPUT_SIZE, VERIFIER_OUTPUTS } from '../../core/face-verifier-spec.js';
import {
  cropResizeLinear,
  decodeImage,
  IMAGENET_MEAN,
  IMAGENET_STD,
  normalise,
} from '../../core/image-io.js';
import { ProgressReporter } from '../../core/progress.js';
import { SeededRandom } from '../../core/seeded-random.js';
import { trainingForward, updateMovingStats } from '../loop/training-forward.js';
import { buildCnn } from '../models/cnn.js';
import { AdamW } from '../optim/adamw.js';
import type { VerifierExample } from './verifier-samples.js';

export interface VerifierTrainOptions {
  epochs?: number;
  batchSize?: number;
  learningRate?: number;
  /** Weight of the box loss against the face loss (default 1). */
  boxWeight?: number;
  seed?: number;
  width?: number;
  onLog?: (line: string) => void;
}

export interface VerifierEpoch {
  epoch: number;
  trainLoss: number;
  valLoss: number;
  valFaceAccuracy: number;
  valBoxLoss: number;
  seconds: number;
}

export interface LoadedCrops {
  pixels: Uint8Array;
  count: number;
}

const SIZE = VERIFIER_INPUT_SIZE;
/** Share of training crops whose surroundings are replaced by a flat grey (see batchTensor). */
const PLAIN_BACKGROUND = 0.25;
const PER = SIZE * SIZE * 3;

/** Crops every example out of its photo (each photo decoded once) at the verifier's input size. */
export async function loadVerifierCrops(
  photos: readonly MinedPhoto[],
  examples: readonly VerifierExample[],
  label = 'verifier crops',
): Promise<LoadedCrops> {
  const pixels = new Uint8Array(examples.length * PER);
  const byPhoto = new Map<number, number[]>();
  examples.forEach((e, i) => {
    byPhoto.set(e.photo, [...(byPhoto.get(e.photo) ?? []), i]);
  });
  const bar = new ProgressReporter({ total: byPhoto.size, label });
  let done = 0;
  for (const [p, idx] of byPhoto) {
    const image = await decodeImage(photos[p]!.path);
    for (const i of idx) {
      const crop = cropResizeLinear(image, examples[i]!.crop, SIZE);
      pixels.set(crop.data, i * PER);
    }
    bar.update(++done);
  }
  bar.finish();
  return { pixels, count: examples.length };
}

/**
 * Normalised NHWC batch, optionally flipped / brightened per row, and with the surroundings of the box replaced by
 * a flat grey (`plains[i]`: its level): a face in front of a plain wall must still be a face, and a flat
 * background must not make anything one.
 */
function batchTensor(
  crops: LoadedCrops,
  rows: readonly number[],
  flips: readonly boolean[],
  gains: readonly number[],
  plains: readonly (number | undefined)[] = [],
  inner: readonly (readonly [number, number])[] = [],
): tf.Tensor4D {
  const out = new Float32Array(rows.length * PER);
  const img = { width: SIZE, height: SIZE, data: new Uint8Array(PER) };
  rows.forEach((r, i) => {
    const src = crops.pixels.subarray(r * PER, (r + 1) * PER);
    const g = gains[i] ?? 1;
    const plain = plains[i];
    const [fw, fh] = inner[i] ?? [1, 1];
    for (let y = 0; y < SIZE; y++) {
      const outY = Math.abs(y + 0.5 - SIZE / 2) > (fh * SIZE) / 2;
      for (let x = 0; x < SIZE; x++) {
        const sx = flips[i] ? SIZE - 1 - x : x;
        const outside = plain !== undefined && (outY || Math.abs(x + 0.5 - SIZE / 2) > (fw * SIZE) / 2);
        for (let c = 0; c < 3; c++) {
          img.data[(y * SIZE + x) * 3 + c] = outside
            ? plain
            : Math.min(255, src[(y * SIZE + sx) * 3 + c]! * g);
        }
      }
    }
    normalise(img, { layout: 'NHWC', mean: IMAGENET_MEAN, std: IMAGENET_STD }, out, i * PER);
  });
  return tf.tensor4d(out, [rows.length, SIZE, SIZE, 3]);
}

/** Targets: [isFace, mask (1 on the photo's convention head, faces only) x4 per convention, deltas x4 per convention]. */
function targetTensors(
  examples: readonly VerifierExample[],
  rows: readonly number[],
  flips: readonly boolean[],
): { face: tf.Tensor2D; mask: tf.Tensor2D; deltas: tf.Tensor2D } {
  const k = VERIFIER_OUTPUTS - 1;
  const face = new Float32Array(rows.length);
  const mask = new Float32Array(rows.length * k);
  const deltas = new Float32Array(rows.length * k);
  rows.forEach((r, i) => {
    const e = examples[r]!;
    face[i] = e.isFace ? 1 : 0;
    if (!e.isFace || !e.deltas) return;
    const d = [...e.deltas];
    if (flips[i]) d[0] = -d[0]!;
    for (let j = 0; j < 4; j++) {
      mask[i * k + e.convention * 4 + j] = 1;
      deltas[i * k + e.convention * 4 + j] = d[j]!;
    }
  });
  return {
    face: tf.tensor2d(face, [rows.length, 1]),
    mask: tf.tensor2d(mask, [rows.length, k]),
    deltas: tf.tensor2d(deltas, [rows.length, k]),
  };
}

function losses(
  out: tf.Tensor2D,
  t: { face: tf.Tensor2D; mask: tf.Tensor2D; deltas: tf.Tensor2D },
  faceWeights: [number, number],
  boxWeight: number,
): { total: tf.Scalar; face: tf.Scalar; box: tf.Scalar } {
  const n = out.shape[0];
  const logit = out.slice([0, 0], [n, 1]);
  const pred = out.slice([0, 1], [n, VERIFIER_OUTPUTS - 1]);
  const w = tf.add(tf.mul(t.face, faceWeights[1] - faceWeights[0]), faceWeights[0]);
  const face = tf.mean(
    tf.mul(tf.losses.sigmoidCrossEntropy(t.face, logit, undefined, 0, tf.Reduction.NONE), w),
  ) as tf.Scalar;
  const diff = tf.abs(tf.sub(pred, t.deltas));
  // Smooth L1 (Huber, delta 1) as 0.5 min(|d|,1)^2 + |d| - min(|d|,1): differentiable ops only.
  const capped = tf.minimum(diff, 1);
  const smooth = tf.add(tf.mul(tf.square(capped), 0.5), tf.sub(diff, capped));
  const box = tf.div(tf.sum(tf.mul(smooth, t.mask)), tf.maximum(tf.sum(t.mask), 1)) as tf.Scalar;
  return { total: tf.add(face, tf.mul(box, boxWeight)) as tf.Scalar, face, box };
}

export interface TrainedVerifier {
  model: tf.LayersModel;
  history: VerifierEpoch[];
  bestEpoch: number;
}

export async function trainVerifier(
  train: { examples: readonly VerifierExample[]; crops: LoadedCrops },
  val: { examples: readonly VerifierExample[]; crops: LoadedCrops },
  options: VerifierTrainOptions = {},
): Promise<TrainedVerifier> {
  const { epochs = 12, batchSize = 64, learningRate = 2e-3, boxWeight = 1, seed = 1, width = 16 } = options;
  const log = options.onLog ?? ((line: string) => process.stderr.write(`${line}\n`));
  const rng = new SeededRandom(seed);
  const model = buildCnn({
    inputSize: SIZE,
    width,
    blocks: 4,
    seed,
    units: VERIFIER_OUTPUTS,
    name: 'face_verifier',
  });
  const variables = model.trainableWeights.map((w) => w.read() as tf.Variable);
  const faces = train.examples.filter((e) => e.isFace).length;
  const notFaces = train.examples.length - faces;
  // Balanced: each class carries half of the face loss.
  const faceWeights: [number, number] = [
    train.examples.length / (2 * Math.max(1, notFaces)),
    train.examples.length / (2 * Math.max(1, faces)),
  ];
  const steps = Math.ceil(train.examples.length / batchSize);
  const optimizer = new AdamW({ learningRate, weightDecay: 1e-4 });
  const history: VerifierEpoch[] = [];
  let best = Number.POSITIVE_INFINITY;
  let bestWeights: tf.Tensor[] | undefined;
  let bestEpoch = 0;
  for (let epoch = 1; epoch <= epochs; epoch++) {
    const start = Date.now();
    // Cosine learning rate over the epochs.
    optimizer.learningRate = learningRate * 0.5 * (1 + Math.cos((Math.PI * (epoch - 1)) / epochs));
    const order = rng.shuffle([...Array(train.examples.length).keys()]);
    const bar = new ProgressReporter({ total: steps, label: `verifier epoch ${epoch}/${epochs}` });
    let lossSum = 0;
    for (let s = 0; s < steps; s++) {
      const rows = order.slice(s * batchSize, (s + 1) * batchSize);
      const flips = rows.map(() => rng.next() < 0.5);
      const gains = rows.map(() => rng.uniform(0.75, 1.25));
      const plains = rows.map(() =>
        rng.next() < PLAIN_BACKGROUND ? Math.round(rng.uniform(40, 220)) : undefined,
      );
      const x = batchTensor(
        train.crops,
        rows,
        flips,
        gains,
        plains,
        rows.map((r) => train.examples[r]!.inner),
      );
      const t = targetTensors(train.examples, rows, flips);
      const stash: Parameters<typeof trainingForward>[2] = [];
      const { value, grads } = tf.variableGrads(() => {
        const out = trainingForward(model, x, stash) as tf.Tensor2D;
        return losses(out, t, faceWeights, boxWeight).total;
      }, variables);
      optimizer.applyGradients(grads);
      updateMovingStats(stash);
      const loss = (await value.data())[0]!;
      lossSum += loss;
      tf.dispose([x, t.face, t.mask, t.deltas, value, grads]);
      bar.update(s + 1, { loss });
    }
    bar.finish();
    const v = await evaluateVerifier(model, val.examples, val.crops, faceWeights, boxWeight);
    const record: VerifierEpoch = {
      epoch,
      trainLoss: lossSum / steps,
      valLoss: v.loss,
      valFaceAccuracy: v.faceAccuracy,
      valBoxLoss: v.boxLoss,
      seconds: (Date.now() - start) / 1000,
    };
    history.push(record);
    log(
      `verifier epoch ${epoch}: train loss ${record.trainLoss.toFixed(4)} val loss ${v.loss.toFixed(4)} face acc ${v.faceAccuracy.toFixed(3)} box ${v.boxLoss.toFixed(4)} (${record.seconds.toFixed(0)}s)`,
    );
    if (v.loss < best) {
      best = v.loss;
      bestEpoch = epoch;
      tf.dispose(bestWeights ?? []);
      bestWeights = model.getWeights().map((w) => w.clone());
    }
  }
  if (bestWeights) {
    model.setWeights(bestWeights);
    tf.dispose(bestWeights);
  }
  return { model, history, bestEpoch };
}

/** Outputs of the verifier on crops (inference mode), [n, VERIFIER_OUTPUTS]. */
export async function predictVerifier(model: tf.LayersModel, crops: LoadedCrops): Promise<Float32Array> {
  const out = new Float32Array(crops.count * VERIFIER_OUTPUTS);
  for (let s = 0; s < crops.count; s += 256) {
    const rows = [...Array(Math.min(256, crops.count - s)).keys()].map((i) => s + i);
    const x = batchTensor(crops, rows, [], []);
    const y = model.predict(x) as tf.Tensor;
    out.set(await y.data(), s * VERIFIER_OUTPUTS);
    tf.dispose([x, y]);
  }
  return out;
}

async function evaluateVerifier(
  model: tf.LayersModel,
  examples: readonly VerifierExample[],
  crops: LoadedCrops,
  faceWeights: [number, number],
  boxWeight: number,
): Promise<{ loss: number; faceAccuracy: number; boxLoss: number }> {
  const out = await predictVerifier(model, crops);
  const rows = [...examples.keys()];
  const t = targetTensors(examples, rows, []);
  const o = tf.tensor2d(out, [examples.length, VERIFIER_OUTPUTS]);
  const l = losses(o, t, faceWeights, boxWeight);
  const [total, box] = [(await l.total.data())[0]!, (await l.box.data())[0]!];
  tf.dispose([o, t.face, t.mask, t.deltas, l.total, l.face, l.box]);
  let right = 0;
  examples.forEach((e, i) => {
    if (out[i * VERIFIER_OUTPUTS]! > 0 === e.isFace) right++;
  });
  return { loss: total, faceAccuracy: right / Math.max(1, examples.length), boxLoss: box };
}
