import * as tf from '@tensorflow/tfjs';
import { computeClassMetrics } from '../../core/metrics.js';
import { SeededRandom } from '../../core/seeded-random.js';
import { weightedCrossEntropy } from '../kd/losses.js';
import { AdamW } from '../optim/adamw.js';
import { DataParallelStep } from '../parallel/data-parallel-step.js';
import type { StepLoss } from '../parallel/shard-loss.js';
import { loadCheckpoint, saveCheckpoint, type TrainerState } from './checkpoint.js';
import { trainingForward, updateMovingStats } from './training-forward.js';

/**
 * The generic training loop (student, scratch teacher, feature heads): AdamW with a cosine schedule, per-step
 * seeded randomness (so an interrupted run resumes exactly: epoch order and augmentation are functions of
 * seed, epoch and step), best-on-validation weights kept, optional early stop, resumable checkpoints.
 */
export interface TrainTask {
  name: string;
  model: tf.LayersModel;
  /** Train labels (class indices); sample i of the task is index i. */
  labels: number[];
  /** Inputs for a batch of train indices (augmented where it applies); `flipped[i]` tells KD which teacher view to use. */
  batch(indices: number[], rng: SeededRandom): { x: tf.Tensor; flipped: boolean[] };
  /** Validation inputs in chunks and their labels. */
  valInput(start: number, end: number): tf.Tensor;
  valLabels: number[];
  /** Optional loss (KD); default is class-weighted cross-entropy. */
  loss?(
    logits: tf.Tensor2D,
    labels: number[],
    indices: number[],
    flipped: boolean[],
    rng: SeededRandom,
  ): tf.Scalar;
  /** The same loss as plain data (parallel/shard-loss.ts); needed for data-parallel workers (`workers` > 1). */
  stepLoss?(labels: number[], indices: number[], flipped: boolean[], rng: SeededRandom): StepLoss;
}

export interface TrainOptions {
  epochs: number;
  batchSize: number;
  learningRate: number;
  weightDecay: number;
  seed: number;
  classWeights?: number[];
  /** Stop when validation has not improved for this many epochs (0 = never). */
  patience?: number;
  /** Folder for the resumable checkpoint of this task. */
  checkpointDir?: string;
  resume?: boolean;
  /** Data-parallel gradient workers (parallel/); used when > 1 and the task has `stepLoss`. */
  workers?: number;
  /** Worker entry override (tests run TypeScript sources; the default is the compiled gradient-worker.js). */
  workerEntry?: string | URL;
  /** Polled between steps (SIGINT); when true, a checkpoint is saved and `interrupted` returned. */
  shouldStop?: () => boolean;
  onStep?(info: { epoch: number; step: number; steps: number; loss: number; acc: number }): void;
  onEpoch?(record: EpochRecord): void;
}

export interface EpochRecord {
  epoch: number;
  trainLoss: number;
  trainAccuracy: number;
  valAccuracy: number;
  valBalancedAccuracy: number;
  learningRate: number;
  seconds: number;
}

export interface TrainResult {
  history: EpochRecord[];
  bestEpoch: number;
  bestScore: number;
  interrupted: boolean;
  wallTimeSec: number;
  imagesPerSec: number;
}

/** Selection score on validation: mean of accuracy and balanced accuracy (both matter; `incorrect` is rare). */
export function selectionScore(acc: number, balanced: number): number {
  return (acc + balanced) / 2;
}

export function stepRng(seed: number, epoch: number, step: number): SeededRandom {
  return new SeededRandom(
    (Math.imul(seed + 1, 0x9e3779b1) ^ Math.imul(epoch + 1, 0x85ebca77) ^ Math.imul(step + 1, 0xc2b2ae3d)) >>>
      0,
  );
}

export function epochOrder(count: number, seed: number, epoch: number): number[] {
  return stepRng(seed, epoch, -1).shuffle(Array.from({ length: count }, (_, i) => i));
}

export async function predictLogits(
  model: tf.LayersModel,
  count: number,
  input: (s: number, e: number) => tf.Tensor,
  batch = 128,
): Promise<Float32Array> {
  const out = new Float32Array(count * 3);
  for (let s = 0; s < count; s += batch) {
    const e = Math.min(count, s + batch);
    const logits = tf.tidy(() => model.predict(input(s, e)) as tf.Tensor);
    out.set(await logits.data(), s * 3);
    logits.dispose();
  }
  return out;
}

export function argmax3(logits: Float32Array): number[] {
  const pred: number[] = [];
  for (let i = 0; i < logits.length; i += 3) {
    const a = logits[i]!;
    const b = logits[i + 1]!;
    const c = logits[i + 2]!;
    pred.push(a >= b && a >= c ? 0 : b >= c ? 1 : 2);
  }
  return pred;
}

export async function train(task: TrainTask, options: TrainOptions): Promise<TrainResult> {
  const { epochs, batchSize, seed } = options;
  const n = task.labels.length;
  const steps = Math.max(1, Math.floor(n / batchSize));
  const optimizer = new AdamW({ learningRate: options.learningRate, weightDecay: options.weightDecay });
  const variables = task.model.trainableWeights.map((w) => w.read() as tf.Variable);
  let state: TrainerState = {
    epoch: 0,
    step: 0,
    history: [],
    bestEpoch: -1,
    bestScore: -1,
    elapsedSec: 0,
    images: 0,
    epochLoss: 0,
    epochCorrect: 0,
    epochSeen: 0,
  };
  let best: tf.Tensor[] | undefined;
  if (options.resume && options.checkpointDir) {
    const loaded = await loadCheckpoint(options.checkpointDir, task.model, optimizer, variables);
    if (loaded) {
      state = loaded.state;
      best = loaded.best;
    }
  }
  const workers = options.workers ?? 1;
  const parallel =
    workers > 1 && task.stepLoss
      ? await DataParallelStep.start(task.model, variables, workers, options.workerEntry)
      : undefined;
  const started = Date.now() - state.elapsedSec * 1000;
  let epochStart = Date.now();
  const save = async () => {
    if (!options.checkpointDir) return;
    state.elapsedSec = (Date.now() - started) / 1000;
    await saveCheckpoint(options.checkpointDir, task.model, optimizer, variables, state, best);
  };
  const lossFn =
    task.loss ??
    ((logits: tf.Tensor2D, labels: number[]) =>
      weightedCrossEntropy(logits, tf.tensor1d(labels, 'int32'), options.classWeights));

  while (state.epoch < epochs) {
    const order = epochOrder(n, seed, state.epoch);
    for (; state.step < steps; state.step++) {
      if (options.shouldStop?.()) {
        await save();
        optimizer.dispose();
        return finish(true);
      }
      const t = (state.epoch * steps + state.step) / (epochs * steps);
      optimizer.learningRate = options.learningRate * 0.5 * (1 + Math.cos(Math.PI * t));
      const rng = stepRng(seed, state.epoch, state.step);
      const indices = order.slice(state.step * batchSize, (state.step + 1) * batchSize);
      const labels = indices.map((i) => task.labels[i]!);
      const { x, flipped } = task.batch(indices, rng);
      let correct = 0;
      if (parallel) {
        const r = await parallel.step(x, task.stepLoss!(labels, indices, flipped, rng));
        optimizer.applyGradients(r.grads);
        updateMovingStats(r.stash);
        tf.dispose([x, r.grads]);
        count(r.loss, r.correct, indices.length);
        continue;
      }
      const stash: Parameters<typeof trainingForward>[2] = [];
      // The logits leave the gradient scope and are read asynchronously: a synchronous read (dataSync) is a
      // stall on a GPU backend, and tfjs's WebGPU backend cannot do it in Node at all (it needs OffscreenCanvas).
      let logits: tf.Tensor2D | undefined;
      const { value, grads } = tf.variableGrads(() => {
        logits = tf.keep(trainingForward(task.model, x, stash) as tf.Tensor2D);
        return lossFn(logits, labels, indices, flipped, rng);
      }, variables);
      optimizer.applyGradients(grads);
      updateMovingStats(stash);
      const [lossData, logitData] = await Promise.all([value.data(), logits!.data()]);
      const loss = lossData[0]!;
      correct = argmax3(logitData as Float32Array).filter((p, i) => p === labels[i]).length;
      tf.dispose([x, value, grads, logits!]);
      count(loss, correct, indices.length);
    }
    const valLogits = await predictLogits(task.model, task.valLabels.length, task.valInput);
    const m = computeClassMetrics(task.valLabels, argmax3(valLogits));
    const record: EpochRecord = {
      epoch: state.epoch + 1,
      trainLoss: state.epochLoss / Math.max(1, state.epochSeen),
      trainAccuracy: state.epochCorrect / Math.max(1, state.epochSeen),
      valAccuracy: m.accuracy,
      valBalancedAccuracy: m.balancedAccuracy,
      learningRate: optimizer.learningRate,
      seconds: (Date.now() - epochStart) / 1000,
    };
    epochStart = Date.now();
    state.history.push(record);
    const score = selectionScore(m.accuracy, m.balancedAccuracy);
    if (score > state.bestScore) {
      state.bestScore = score;
      state.bestEpoch = state.epoch + 1;
      tf.dispose(best ?? []);
      best = task.model.getWeights().map((w) => w.clone());
    }
    options.onEpoch?.(record);
    state.epoch += 1;
    state.step = 0;
    state.epochLoss = 0;
    state.epochCorrect = 0;
    state.epochSeen = 0;
    const patience = options.patience ?? 0;
    if (patience > 0 && state.epoch - state.bestEpoch >= patience) break;
  }
  if (best) task.model.setWeights(best);
  tf.dispose(best ?? []);
  optimizer.dispose();
  return finish(false);

  function count(loss: number, correct: number, rows: number): void {
    state.epochLoss += loss * rows;
    state.epochCorrect += correct;
    state.epochSeen += rows;
    state.images += rows;
    options.onStep?.({ epoch: state.epoch, step: state.step, steps, loss, acc: correct / rows });
  }

  function finish(interrupted: boolean): TrainResult {
    void parallel?.close();
    const wallTimeSec = (Date.now() - started) / 1000;
    return {
      history: state.history,
      bestEpoch: state.bestEpoch,
      bestScore: state.bestScore,
      interrupted,
      wallTimeSec,
      imagesPerSec: state.images / Math.max(1e-9, wallTimeSec),
    };
  }
}
