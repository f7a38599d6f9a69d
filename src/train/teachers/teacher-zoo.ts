import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type * as tf from '@tensorflow/tfjs';
import { getBackend } from '@tensorflow/tfjs';
import { SPLITS, type Split } from '../../core/dataset/index.js';
import { MaskEdgeError } from '../../core/errors.js';
import type { RgbImage } from '../../core/image-io.js';
import { fileSystemHandler, loadModel, saveModel } from '../io/file-io-handler.js';
import { predictLogits, train } from '../loop/trainer.js';
import { buildCnn, buildFeatureHead, countParameters } from '../models/cnn.js';
import type { ModelOutcome, RunContext, SplitLogits } from '../pipeline/context.js';
import {
  type FeatureMatrix,
  featureRows,
  featureTask,
  imageBatch,
  imageTask,
  range,
  standardise,
} from '../pipeline/tasks.js';
import { TEACHER_EPOCHS } from '../train-options.js';
import { FACE_API_BACKBONES, type FaceApiBackboneName, loadFaceApiBackbone } from './face-api-backbones.js';
import { FeatureCache } from './feature-cache.js';
import { fineTuneSsdMobilenet, SSD_MOBILENET_TEACHER } from './ssd-mobilenet-teacher.js';

export const TEACHER_NAMES = [
  'face-recognition',
  'face-recognition-mid',
  'face-embedding',
  'landmark-tiny',
  'landmark',
  'expression',
  'age-gender',
  'scratch',
  'ssd-mobilenet',
] as const;

export interface TeacherOutcome extends ModelOutcome {
  /** Writes the teacher to a run folder (tfjs model.json + weights.bin, and teacher.json describing it). */
  save(dir: string): Promise<void>;
}

function interrupted(phase: string): never {
  throw new MaskEdgeError('E_INTERRUPTED', `interrupted during ${phase}; resume with --resume`, {
    detail: { phase },
  });
}

async function extractFeatures(
  backbone: Awaited<ReturnType<typeof loadFaceApiBackbone>>,
  crops: RgbImage[],
  onBatch: (done: number) => void,
  cache?: FeatureCache,
): Promise<FeatureMatrix> {
  const dim = backbone.featureSize;
  const rows = new Float32Array(crops.length * dim);
  for (let i = 0; i < crops.length; i += 32) {
    const batch = crops.slice(i, i + 32);
    const cached = cache ? await cache.read(batch) : [];
    const missing = batch.flatMap((_, j) => (cached[j] ? [] : [j]));
    for (const [j, row] of cached.entries()) if (row) rows.set(row, (i + j) * dim);
    if (missing.length > 0) {
      const f = backbone.features(missing.map((j) => batch[j]!));
      const computed = await f.data();
      f.dispose();
      for (const [k, j] of missing.entries())
        rows.set(computed.subarray(k * dim, (k + 1) * dim), (i + j) * dim);
      await cache?.write(
        missing.map((j) => batch[j]!),
        computed as Float32Array,
      );
    }
    onBatch(Math.min(crops.length, i + 32));
  }
  return { rows, dim };
}

/** Transfer learning: a frozen face-api backbone, features precomputed once per crop, a new trainable head. */
async function trainFeatureTeacher(name: FaceApiBackboneName, ctx: RunContext): Promise<TeacherOutcome> {
  const backbone = await loadFaceApiBackbone(name);
  const crops = await ctx.cropsAt(backbone.inputSize);
  const started = Date.now();
  const features = {} as Record<Split, FeatureMatrix>;
  let featureSec = 0;
  const cache = ctx.featureCacheDir
    ? new FeatureCache(ctx.featureCacheDir, `${name}@${getBackend()}`, backbone.featureSize)
    : undefined;
  for (const split of SPLITS) {
    const t0 = Date.now();
    features[split] = await extractFeatures(
      backbone,
      crops[split],
      (done) => {
        if (done % 320 === 0) ctx.log(`  ${name}: ${split} features ${done}/${crops[split].length}`);
      },
      cache,
    );
    featureSec += (Date.now() - t0) / 1000;
  }
  if (cache)
    ctx.log(`  ${name}: features of ${cache.hits} crops read from the cache, ${cache.misses} computed`);
  const total = SPLITS.reduce((n, s) => n + crops[s].length, 0);
  const norm = standardise(features.train);
  const head = buildFeatureHead(backbone.featureSize, 128, ctx.seed, `teacher_${name.replace(/-/g, '_')}`);
  const task = featureTask(name, head, features.train, ctx.labels.train, features.val, ctx.labels.val, norm);
  const result = await train(task, {
    ...ctx.train,
    epochs: ctx.teacherEpochs ?? TEACHER_EPOCHS.head,
    checkpointDir: ctx.checkpointDir(`teacher-${name}`),
    resume: ctx.resume,
    onEpoch: ctx.onEpoch(`teacher ${name}`),
  });
  if (result.interrupted) interrupted(`teacher ${name}`);
  const logits = {} as SplitLogits;
  for (const split of SPLITS) {
    logits[split] = await predictLogits(head, ctx.labels[split].length, (s, e) =>
      featureRows(
        features[split],
        range(e - s).map((i) => i + s),
        norm,
      ),
    );
  }
  const description = `${FACE_API_BACKBONES[name].description} + MLP head (${backbone.featureSize}->128->3)`;
  return {
    name: `teacher-${name}`,
    description,
    parameters: backbone.parameters + countParameters(head),
    logits,
    history: result.history,
    bestEpoch: result.bestEpoch,
    wallTimeSec: (Date.now() - started) / 1000,
    trainImagesPerSec: result.imagesPerSec,
    imagesPerSec: total / Math.max(1e-9, featureSec),
    async save(dir) {
      await saveModel(head, dir);
      const teacherJson = {
        kind: 'frozen-backbone-head',
        backbone: name,
        backboneDescription: backbone.description,
        backboneSource: '@vladmandic/face-api/model',
        backboneInputSize: backbone.inputSize,
        featureSize: backbone.featureSize,
        featureMean: Array.from(norm.mean),
        featureStd: Array.from(norm.std),
        head: 'model.json (input: standardised features, output: 3 logits)',
      };
      await writeFile(join(dir, 'teacher.json'), JSON.stringify(teacherJson));
    },
  };
}

/** The from-scratch control: a wider custom CNN (two convs per block) on the student's crops. */
async function trainScratchTeacher(ctx: RunContext): Promise<TeacherOutcome> {
  const crops = await ctx.cropsAt(ctx.studentSize);
  const model = buildCnn({
    inputSize: ctx.studentSize,
    width: 32,
    blocks: 4,
    convsPerBlock: 2,
    seed: ctx.seed + 101,
    name: 'teacher_scratch',
  });
  const split = (s: Split) => ({ ids: [], images: crops[s], labels: ctx.labels[s] });
  const result = await train(imageTask('scratch', model, split('train'), split('val')), {
    ...ctx.train,
    epochs: ctx.teacherEpochs ?? TEACHER_EPOCHS.head,
    checkpointDir: ctx.checkpointDir('teacher-scratch'),
    resume: ctx.resume,
    onEpoch: ctx.onEpoch('teacher scratch'),
    onStep: ctx.onStep('teacher scratch', ctx.teacherEpochs ?? TEACHER_EPOCHS.head),
  });
  if (result.interrupted) interrupted('teacher scratch');
  return {
    name: 'teacher-scratch',
    description: 'from-scratch custom CNN (control): 4 blocks x 2 conv, width 32',
    parameters: countParameters(model),
    ...(await imageModelLogits(model, crops, ctx)),
    history: result.history,
    bestEpoch: result.bestEpoch,
    wallTimeSec: result.wallTimeSec,
    trainImagesPerSec: result.imagesPerSec,
    save: (dir) => saveModel(model, dir),
  };
}

/** Partial fine-tuning of a pretrained face network: face-api's SSD MobileNet v1 backbone (ssd-mobilenet-teacher.ts). */
async function trainSsdMobilenetTeacher(ctx: RunContext): Promise<TeacherOutcome> {
  const started = Date.now();
  const { model, result, crops } = await fineTuneSsdMobilenet(ctx);
  if (result.interrupted) interrupted('teacher ssd-mobilenet');
  const { inputSize, frozenBlocks } = SSD_MOBILENET_TEACHER;
  return {
    name: 'teacher-ssd-mobilenet',
    description: `face-api SSD face detector's MobileNet v1 backbone at ${inputSize} px, blocks ${frozenBlocks + 1}-13 fine-tuned (stem and blocks 1-${frozenBlocks} frozen) + 3-way head`,
    parameters: countParameters(model),
    ...(await imageModelLogits(model, crops, ctx)),
    history: result.history,
    bestEpoch: result.bestEpoch,
    wallTimeSec: (Date.now() - started) / 1000,
    trainImagesPerSec: result.imagesPerSec,
    save: (dir) => saveModel(model, dir),
  };
}

export async function imageModelLogits(
  model: tf.LayersModel,
  crops: Record<Split, RgbImage[]>,
  ctx: RunContext,
): Promise<{ logits: SplitLogits; imagesPerSec: number }> {
  const logits = {} as SplitLogits;
  let imagesPerSec = 0;
  for (const split of SPLITS) {
    const t0 = Date.now();
    logits[split] = await predictLogits(model, ctx.labels[split].length, (s, e) =>
      imageBatch(crops[split].slice(s, e)),
    );
    if (split === 'test') imagesPerSec = crops.test.length / Math.max(1e-9, (Date.now() - t0) / 1000);
  }
  return { logits, imagesPerSec };
}

/** A tfjs layers model the user brings (--teacher-weights): NHWC ImageNet-normalised input, 3 logits out. */
async function userTeacher(path: string, ctx: RunContext): Promise<TeacherOutcome> {
  const dir = path.endsWith('model.json') ? join(path, '..') : path;
  const model = await loadModel(dir);
  const shape = model.inputs[0]?.shape ?? [];
  const out = model.outputs[0]?.shape ?? [];
  if (shape.length !== 4 || shape[1] !== shape[2] || shape[3] !== 3 || out[out.length - 1] !== 3) {
    throw new MaskEdgeError(
      'E_MODEL',
      'teacher weights must be a tfjs layers model with input [null,S,S,3] and 3 outputs',
      {
        detail: { path, input: shape, output: out },
      },
    );
  }
  const started = Date.now();
  const crops = await ctx.cropsAt(shape[1] as number);
  return {
    name: 'teacher-user',
    description: `user model ${path}`,
    parameters: countParameters(model),
    ...(await imageModelLogits(model, crops, ctx)),
    history: [],
    wallTimeSec: (Date.now() - started) / 1000,
    save: async (target) => {
      await model.save(fileSystemHandler(target));
    },
  };
}

export async function trainTeacher(
  name: string,
  ctx: RunContext,
  userWeights?: string,
): Promise<TeacherOutcome> {
  if (name === 'user') return userTeacher(userWeights ?? '', ctx);
  if (name === 'scratch') return trainScratchTeacher(ctx);
  if (name === 'ssd-mobilenet') return trainSsdMobilenetTeacher(ctx);
  if (name in FACE_API_BACKBONES) return trainFeatureTeacher(name as FaceApiBackboneName, ctx);
  throw new MaskEdgeError('E_USAGE', `unknown teacher "${name}"`, {
    detail: { teacher: name, known: [...TEACHER_NAMES] },
  });
}
