import * as tf from '@tensorflow/tfjs';
import type { Split } from '../../core/dataset/index.js';
import { MaskEdgeError } from '../../core/errors.js';
import { type AugmentDraw, augmentedImage } from '../augment/augment-crop.js';
import type { KdMethod, KdParams } from '../kd/index.js';
import { weightedCrossEntropy } from '../kd/losses.js';
import { train } from '../loop/trainer.js';
import { buildCnn, countParameters } from '../models/cnn.js';
import { kdStepLoss } from '../parallel/shard-loss.js';
import type { TeacherView } from '../teachers/teacher-view.js';
import { imageModelLogits } from '../teachers/teacher-zoo.js';
import type { ModelOutcome, RunContext } from './context.js';
import { imageTask } from './tasks.js';

export interface StudentShape {
  width: number;
  blocks: number;
}

export interface StudentRound {
  /** undefined = no teacher (the baseline). */
  method?: KdMethod;
  /** Teacher logits on the unaugmented train crops (row per train sample). */
  teacherLogits?: Float32Array;
  /**
   * `--teacher-view augmented`: the teacher scores the augmented view the student sees in each step (the same
   * crop, flip, jitter and blur, rendered from the teacher's own crop at its input size) instead of
   * `teacherLogits` (computed once on the unaugmented crop).
   */
  teacherView?: TeacherView;
  teacherName?: string;
  params: KdParams;
  /** Init and augmentation seed (default: the run's --seed). Later chained rounds get their own (diversity). */
  seed?: number;
}

/** Trains one student (a fresh, seeded init of the custom CNN) without a teacher or with one KD method. */
export async function trainStudent(
  phase: string,
  ctx: RunContext,
  shape: StudentShape,
  round: StudentRound,
): Promise<{ outcome: ModelOutcome; model: tf.LayersModel }> {
  const crops = await ctx.cropsAt(ctx.studentSize);
  const seed = round.seed ?? ctx.seed;
  const model = buildCnn({
    inputSize: ctx.studentSize,
    width: shape.width,
    blocks: shape.blocks,
    seed,
    name: 'student',
  });
  const split = (s: Split) => ({ ids: [], images: crops[s], labels: ctx.labels[s] });
  const { method, teacherLogits, teacherView } = round;
  // the teacher's soft labels of this step's augmented views, computed when the batch is drawn
  let viewRows: { indices: number[]; rows: Float32Array } | undefined;
  let onDraws: ((indices: number[], draws: AugmentDraw[]) => void) | undefined;
  if (method && teacherView) {
    const teacherCrops = (await ctx.cropsAt(teacherView.size)).train;
    // the 3x3 blur at the student's size is a proportionally wider box at the teacher's
    const blurRadius = Math.max(1, Math.round(teacherView.size / ctx.studentSize));
    onDraws = (indices, draws) => {
      const views = indices.map((idx, i) =>
        augmentedImage(teacherCrops[idx]!, teacherView.size, draws[i]!, blurRadius),
      );
      viewRows = { indices, rows: teacherView.logits(views) };
    };
  }
  const task = imageTask(phase, model, split('train'), split('val'), true, onDraws);
  const teacherRows = (indices: number[]) => {
    if (viewRows && viewRows.indices === indices) return viewRows.rows;
    if (teacherView && method) throw new Error('teacher view rows asked for a batch that was not drawn');
    if (!teacherLogits) return undefined;
    const rows = new Float32Array(indices.length * 3);
    for (const [i, idx] of indices.entries()) rows.set(teacherLogits.subarray(idx * 3, idx * 3 + 3), i * 3);
    return rows;
  };
  // The same loss as data, for data-parallel gradient workers (--workers).
  task.stepLoss = (labels, indices, _flipped, rng) =>
    kdStepLoss(
      method,
      { ...round.params, classWeights: ctx.classWeights },
      labels,
      teacherRows(indices),
      rng,
    );
  if (method && (teacherLogits || teacherView)) {
    task.loss = (logits, labels, indices, _flipped, rng) => {
      const rows = teacherRows(indices)!;
      return method.loss(
        { studentLogits: logits, teacherLogits: tf.tensor2d(rows, [indices.length, 3]), labels },
        { ...round.params, classWeights: ctx.classWeights },
        rng,
      );
    };
  } else {
    task.loss = (logits, labels) =>
      weightedCrossEntropy(logits, tf.tensor1d(labels, 'int32'), ctx.classWeights);
  }
  const result = await train(task, {
    ...ctx.train,
    seed,
    epochs: ctx.studentEpochs,
    checkpointDir: ctx.checkpointDir(phase),
    resume: ctx.resume,
    onEpoch: ctx.onEpoch(phase),
    onStep: ctx.onStep(phase, ctx.studentEpochs),
  });
  if (result.interrupted) {
    throw new MaskEdgeError('E_INTERRUPTED', `interrupted during ${phase}; resume with --resume`, {
      detail: { phase },
    });
  }
  const recipe = method
    ? `distilled (${method.name}, T=${round.params.temperature}, alpha=${round.params.alpha}) from ${round.teacherName}${teacherView ? ' on the augmented view' : ''}`
    : 'trained without a teacher';
  return {
    model,
    outcome: {
      name: phase,
      description: `custom CNN ${shape.blocks} blocks, width ${shape.width}, ${ctx.studentSize}px, ${recipe}`,
      parameters: countParameters(model),
      ...(await imageModelLogits(model, crops, ctx)),
      history: result.history,
      bestEpoch: result.bestEpoch,
      wallTimeSec: result.wallTimeSec,
      trainImagesPerSec: result.imagesPerSec,
    },
  };
}
