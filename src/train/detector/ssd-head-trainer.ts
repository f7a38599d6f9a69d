/**
 * Fine-tunes the SSD's box predictors (the six 1x1 convolutions that turn feature maps into box encodings and
 * class logits) on features computed once by the frozen network: an epoch over about 2,000 views takes 70-90 s on
 * 2 CPU cores. Loss as SSD trains: sigmoid cross-entropy on the face logit over face anchors and the hardest
 * background anchors (NEGATIVES_PER_FACE per face anchor in each image, hard negative mining), plus smooth L1
 * (Huber) on the box encodings of face anchors, both divided by the face anchors' count. Only the face column of
 * the class predictor is trained (the graph reads only that column); the background column is left as it was.
 * Adam (the project's AdamW without decay), cosine learning rate; the epoch with the lowest validation loss is
 * kept.
 */
import * as tf from '@tensorflow/tfjs';
import { ProgressReporter } from '../../core/progress.js';
import { SeededRandom } from '../../core/seeded-random.js';
import { AdamW } from '../optim/adamw.js';
import type { AnchorTargets } from './ssd-anchor-targets.js';

export const NEGATIVES_PER_FACE = 3;
/** Background anchors mined in an image with no face anchor. */
export const MIN_NEGATIVES = 8;
const CLASSES = 3;
const FACE_CLASS = 1;

/** One prediction layer: grid cells, channels of its feature map, anchors per cell. */
export interface HeadLayer {
  cells: number;
  channels: number;
  perCell: number;
  /** Box predictor [channels, perCell * 4] (row-major, the tfjs [1, 1, in, out] filter) and its biases. */
  boxWeights: Float32Array;
  boxBiases: Float32Array;
  /** Class predictor [channels, perCell * 3] and biases (column a * 3 + 1 is anchor a's face logit). */
  classWeights: Float32Array;
  classBiases: Float32Array;
}

/** One training image (or its mirror): its feature maps, NHWC [cells, channels] per layer, and targets. */
export interface HeadView {
  features: Float32Array[];
  targets: AnchorTargets;
}

export interface HeadTrainOptions {
  epochs?: number;
  batchSize?: number;
  learningRate?: number;
  /** Weight of the box loss against the face loss (default 1). */
  boxWeight?: number;
  seed?: number;
  onLog?: (line: string) => void;
}

export interface HeadEpoch {
  epoch: number;
  trainLoss: number;
  valLoss: number;
  valFaceLoss: number;
  valBoxLoss: number;
  seconds: number;
}

export interface TrainedHeads {
  layers: HeadLayer[];
  history: HeadEpoch[];
  bestEpoch: number;
}

interface Variables {
  box: tf.Variable[];
  boxBias: tf.Variable[];
  face: tf.Variable[];
  faceBias: tf.Variable[];
}

function faceColumns(layer: HeadLayer): { weights: Float32Array; biases: Float32Array } {
  const { channels, perCell } = layer;
  const weights = new Float32Array(channels * perCell);
  for (let c = 0; c < channels; c++)
    for (let a = 0; a < perCell; a++)
      weights[c * perCell + a] = layer.classWeights[
        c * perCell * CLASSES + a * CLASSES + FACE_CLASS
      ] as number;
  const biases = Float32Array.from(
    { length: perCell },
    (_, a) => layer.classBiases[a * CLASSES + FACE_CLASS] as number,
  );
  return { weights, biases };
}

function batchFeatures(views: readonly HeadView[], layerIndex: number, layer: HeadLayer): tf.Tensor2D {
  const per = layer.cells * layer.channels;
  const buffer = new Float32Array(per * views.length);
  views.forEach((v, i) => {
    buffer.set(v.features[layerIndex] as Float32Array, i * per);
  });
  return tf.tensor2d(buffer, [views.length * layer.cells, layer.channels]);
}

function forward(
  vars: Variables,
  layers: readonly HeadLayer[],
  inputs: readonly tf.Tensor2D[],
  batch: number,
): { boxes: tf.Tensor3D; logits: tf.Tensor2D } {
  const boxes: tf.Tensor3D[] = [];
  const logits: tf.Tensor2D[] = [];
  layers.forEach((layer, l) => {
    const x = inputs[l] as tf.Tensor2D;
    const anchors = layer.cells * layer.perCell;
    boxes.push(
      tf
        .add(tf.matMul(x, vars.box[l] as tf.Tensor2D), vars.boxBias[l] as tf.Tensor1D)
        .reshape([batch, anchors, 4]),
    );
    logits.push(
      tf
        .add(tf.matMul(x, vars.face[l] as tf.Tensor2D), vars.faceBias[l] as tf.Tensor1D)
        .reshape([batch, anchors]),
    );
  });
  return { boxes: tf.concat(boxes, 1) as tf.Tensor3D, logits: tf.concat(logits, 1) as tf.Tensor2D };
}

/**
 * Which anchors the face loss uses: all face anchors, and per image the NEGATIVES_PER_FACE x (face anchors) or
 * MIN_NEGATIVES background anchors the current heads score highest (the hardest). Returns a 0/1 weight per
 * anchor and the face-anchor count.
 */
export function mineAnchors(
  logits: Float32Array,
  views: readonly HeadView[],
  anchorCount: number,
): { weights: Float32Array; positives: number } {
  const weights = new Float32Array(views.length * anchorCount);
  let positives = 0;
  views.forEach((view, i) => {
    const { labels } = view.targets;
    const negatives: number[] = [];
    let pos = 0;
    for (let a = 0; a < anchorCount; a++) {
      if (labels[a] === 1) {
        weights[i * anchorCount + a] = 1;
        pos++;
      } else if (labels[a] === 0) negatives.push(a);
    }
    const base = i * anchorCount;
    negatives.sort((p, q) => (logits[base + q] as number) - (logits[base + p] as number));
    const keep = Math.min(negatives.length, Math.max(MIN_NEGATIVES, NEGATIVES_PER_FACE * pos));
    for (let k = 0; k < keep; k++) weights[base + (negatives[k] as number)] = 1;
    positives += pos;
  });
  return { weights, positives };
}

function lossOf(
  out: { boxes: tf.Tensor3D; logits: tf.Tensor2D },
  views: readonly HeadView[],
  anchorCount: number,
  boxWeight: number,
): { total: tf.Scalar; face: tf.Scalar; box: tf.Scalar } {
  const n = views.length;
  const labels = new Float32Array(n * anchorCount);
  const boxTargets = new Float32Array(n * anchorCount * 4);
  const boxMask = new Float32Array(n * anchorCount);
  views.forEach((v, i) => {
    for (let a = 0; a < anchorCount; a++) {
      if (v.targets.labels[a] !== 1) continue;
      labels[i * anchorCount + a] = 1;
      boxMask[i * anchorCount + a] = 1;
    }
    boxTargets.set(v.targets.boxes, i * anchorCount * 4);
  });
  const mined = mineAnchors(out.logits.dataSync() as Float32Array, views, anchorCount);
  const norm = Math.max(1, mined.positives);
  const y = tf.tensor2d(labels, [n, anchorCount]);
  const w = tf.tensor2d(mined.weights, [n, anchorCount]);
  // softplus(z) - y z: sigmoid cross-entropy from the logit, stable for large |z|.
  const bce = tf.sub(tf.softplus(out.logits), tf.mul(y, out.logits));
  const face = tf.div(tf.sum(tf.mul(bce, w)), norm) as tf.Scalar;
  const diff = tf.abs(tf.sub(out.boxes, tf.tensor3d(boxTargets, [n, anchorCount, 4])));
  // Huber with delta 1 written as 0.5 m^2 + d - m, m = min(d, 1) (every op has a gradient).
  const m = tf.minimum(diff, 1);
  const huber = tf.add(tf.mul(0.5, tf.square(m)), tf.sub(diff, m));
  const box = tf.div(
    tf.sum(tf.mul(tf.sum(huber, 2), tf.tensor2d(boxMask, [n, anchorCount]))),
    norm,
  ) as tf.Scalar;
  return { total: tf.add(face, tf.mul(boxWeight, box)) as tf.Scalar, face, box };
}

export async function trainSsdHeads(
  initial: readonly HeadLayer[],
  train: readonly HeadView[],
  val: readonly HeadView[],
  options: HeadTrainOptions = {},
): Promise<TrainedHeads> {
  const { epochs = 12, batchSize = 16, learningRate = 1e-3, boxWeight = 1, seed = 1 } = options;
  const log = options.onLog ?? ((line: string) => process.stderr.write(`${line}\n`));
  const anchorCount = initial.reduce((n, l) => n + l.cells * l.perCell, 0);
  const vars: Variables = { box: [], boxBias: [], face: [], faceBias: [] };
  for (const layer of initial) {
    const face = faceColumns(layer);
    vars.box.push(tf.variable(tf.tensor2d(layer.boxWeights, [layer.channels, layer.perCell * 4])));
    vars.boxBias.push(tf.variable(tf.tensor1d(layer.boxBiases)));
    vars.face.push(tf.variable(tf.tensor2d(face.weights, [layer.channels, layer.perCell])));
    vars.faceBias.push(tf.variable(tf.tensor1d(face.biases)));
  }
  const all = [...vars.box, ...vars.boxBias, ...vars.face, ...vars.faceBias];
  // Adam: the project's AdamW without weight decay (the heads start from trained weights, not from zero).
  const optimizer = new AdamW({ learningRate, weightDecay: 0 });
  const rng = new SeededRandom(seed);

  const evaluate = (): { loss: number; face: number; box: number } => {
    let sums = { loss: 0, face: 0, box: 0 };
    let batches = 0;
    for (let s = 0; s < val.length; s += batchSize) {
      const views = val.slice(s, s + batchSize);
      const r = tf.tidy(() => {
        const inputs = initial.map((layer, l) => batchFeatures(views, l, layer));
        const l = lossOf(forward(vars, initial, inputs, views.length), views, anchorCount, boxWeight);
        return [l.total.dataSync()[0], l.face.dataSync()[0], l.box.dataSync()[0]] as number[];
      });
      sums = { loss: sums.loss + (r[0] ?? 0), face: sums.face + (r[1] ?? 0), box: sums.box + (r[2] ?? 0) };
      batches++;
    }
    const k = Math.max(1, batches);
    return { loss: sums.loss / k, face: sums.face / k, box: sums.box / k };
  };

  const snapshot = () => all.map((v) => v.clone());
  const before = evaluate();
  log(
    `heads before fine-tuning: val loss ${before.loss.toFixed(4)} (face ${before.face.toFixed(4)}, box ${before.box.toFixed(4)})`,
  );
  let best = before.loss;
  let bestEpoch = 0;
  let bestWeights = snapshot();
  const history: HeadEpoch[] = [];
  const steps = Math.ceil(train.length / batchSize);
  for (let epoch = 1; epoch <= epochs; epoch++) {
    const start = Date.now();
    // Cosine learning rate over the epochs.
    optimizer.learningRate = learningRate * 0.5 * (1 + Math.cos((Math.PI * (epoch - 1)) / epochs));
    const order = rng.shuffle([...Array(train.length).keys()]);
    const bar = new ProgressReporter({ total: steps, label: `detector heads epoch ${epoch}/${epochs}` });
    let lossSum = 0;
    for (let s = 0; s < steps; s++) {
      const views = order.slice(s * batchSize, (s + 1) * batchSize).map((i) => train[i] as HeadView);
      const inputs = initial.map((layer, l) => batchFeatures(views, l, layer));
      const { value, grads } = tf.variableGrads(
        () => lossOf(forward(vars, initial, inputs, views.length), views, anchorCount, boxWeight).total,
        all,
      );
      optimizer.applyGradients(grads);
      const loss = (await value.data())[0] ?? 0;
      lossSum += loss;
      tf.dispose([value, ...Object.values(grads), ...inputs]);
      bar.update(s + 1, { loss });
    }
    bar.finish();
    const v = evaluate();
    const record: HeadEpoch = {
      epoch,
      trainLoss: lossSum / steps,
      valLoss: v.loss,
      valFaceLoss: v.face,
      valBoxLoss: v.box,
      seconds: (Date.now() - start) / 1000,
    };
    history.push(record);
    log(
      `detector heads epoch ${epoch}: train loss ${record.trainLoss.toFixed(4)} val loss ${v.loss.toFixed(4)} (face ${v.face.toFixed(4)}, box ${v.box.toFixed(4)}) (${record.seconds.toFixed(0)}s)`,
    );
    if (v.loss < best) {
      best = v.loss;
      bestEpoch = epoch;
      tf.dispose(bestWeights);
      bestWeights = snapshot();
    }
  }
  const n = initial.length;
  const read = (k: number) => bestWeights[k]?.dataSync() as Float32Array;
  const layers = initial.map((layer, l) => {
    const classWeights = Float32Array.from(layer.classWeights);
    const classBiases = Float32Array.from(layer.classBiases);
    const face = read(2 * n + l);
    const faceBias = read(3 * n + l);
    for (let c = 0; c < layer.channels; c++)
      for (let a = 0; a < layer.perCell; a++)
        classWeights[c * layer.perCell * CLASSES + a * CLASSES + FACE_CLASS] = face[
          c * layer.perCell + a
        ] as number;
    for (let a = 0; a < layer.perCell; a++) classBiases[a * CLASSES + FACE_CLASS] = faceBias[a] as number;
    return {
      ...layer,
      boxWeights: Float32Array.from(read(l)),
      boxBiases: Float32Array.from(read(n + l)),
      classWeights,
      classBiases,
    };
  });
  tf.dispose([...bestWeights, ...all]);
  optimizer.dispose();
  return { layers, history, bestEpoch };
}
