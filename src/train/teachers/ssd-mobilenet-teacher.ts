import * as tf from '@tensorflow/tfjs';
import { MaskEdgeError } from '../../core/errors.js';
import { DEFAULT_KD_PARAMS } from '../kd/kd-method.js';
import { type TrainResult, type TrainTask, train } from '../loop/trainer.js';
import { kdStepLoss } from '../parallel/shard-loss.js';
import type { RunContext } from '../pipeline/context.js';
import { imageTask } from '../pipeline/tasks.js';
import { TEACHER_EPOCHS } from '../train-options.js';
import { faceApiModelDir, loadFaceApi } from './face-api-backbones.js';

/**
 * Partial fine-tuning of a pretrained face network: the MobileNet v1 backbone of face-api's SSD face detector
 * (trained to find faces, so its features already separate face regions), with its first blocks frozen and the
 * rest trained, with a new head, on the mask labels. Unlike the frozen-feature teachers, the trained part sees a
 * new random crop, flip and colour jitter of each face in every epoch.
 *
 * Architecture (Howard et al. 2017, as the TF Object Detection API exports it and face-api loads it): a 3x3
 * stride-2 conv (32 ch) then 13 depthwise-separable blocks (3x3 depthwise + BatchNorm + ReLU6, 1x1 pointwise +
 * folded BatchNorm offset + ReLU6), depthwise stride 2 at blocks 2, 4, 6 and 12, 'same' padding. BatchNorm is
 * folded into the depthwise weights and biases here, so the layers are plain convolutions with biases.
 */
export const SSD_MOBILENET_TEACHER = {
  /** Crop side: a face of 96 px is within the detector's anchor sizes, and 3x3 cells reach block 13. */
  inputSize: 96,
  /** The stem (first conv) and blocks 1..frozenBlocks are not trained (they run once per batch, forward only). */
  frozenBlocks: 5,
  /** The fine-tune's learning rate as a fraction of the run's (pretrained weights move slowly). */
  learningRateScale: 0.1,
  dropout: 0.3,
} as const;

/** BatchNorm epsilon of the TF Object Detection API MobileNet v1 feature extractor. */
const BN_EPSILON = 0.0010000000474974513;
const DEPTHWISE_STRIDE_2 = new Set([2, 4, 6, 12]);
export const MOBILENET_BLOCKS = 13;
const IMAGENET_MEAN = [0.485, 0.456, 0.406];
const IMAGENET_STD = [0.229, 0.224, 0.225];

interface PointwiseParams {
  filters: tf.Tensor4D;
  batch_norm_offset: tf.Tensor1D;
}
interface DepthwiseParams {
  filters: tf.Tensor4D;
  batch_norm_scale: tf.Tensor1D;
  batch_norm_offset: tf.Tensor1D;
  batch_norm_mean: tf.Tensor1D;
  batch_norm_variance: tf.Tensor1D;
}
/** face-api's `ssdMobilenetv1.params.mobilenetv1`: conv_0 (pointwise-style 3x3 conv) and conv_1..conv_13. */
export type MobilenetParams = Record<
  string,
  PointwiseParams | { depthwise_conv: DepthwiseParams; pointwise_conv: PointwiseParams }
>;

/** Loads face-api's SSD MobileNet v1 weights (shipped in the package, no download) and returns the backbone's. */
export async function loadSsdMobilenetParams(): Promise<MobilenetParams> {
  const net = loadFaceApi().nets.ssdMobilenetv1;
  const dir = faceApiModelDir();
  try {
    await net!.loadFromDisk(dir);
  } catch (cause) {
    throw new MaskEdgeError('E_MODEL', 'cannot load face-api weights for the SSD MobileNet v1 backbone', {
      detail: { dir },
      cause,
    });
  }
  const params = (net!.params as { mobilenetv1?: MobilenetParams } | undefined)?.mobilenetv1;
  if (!params?.conv_0 || !params[`conv_${MOBILENET_BLOCKS}`]) {
    throw new MaskEdgeError('E_MODEL', 'face-api SSD weights have no MobileNet v1 backbone', {
      detail: { dir },
    });
  }
  return params;
}

export interface MobilenetClassifierOptions {
  inputSize: number;
  frozenBlocks: number;
  seed: number;
  dropout?: number;
  /**
   * What the input holds: 'imagenet' (the training crops: (x/255 - mean) / std, folded into the first conv) or
   * 'detector' (the detector's own x/127.5 - 1, as face-api feeds it; for parity checks).
   */
  input?: 'imagenet' | 'detector';
}

export interface MobilenetClassifier {
  /** Image [N, S, S, 3] -> 3 logits: the whole teacher, as saved and used for distillation. */
  full: tf.LayersModel;
  /** Image -> the frozen part's output (after block `frozenBlocks`). */
  stem: tf.LayersModel;
  /** The frozen part's output -> 3 logits: the layers that train (the same layer objects as `full`'s). */
  top: tf.LayersModel;
  /** Image -> [block 11 output, block 13 output] (the maps the SSD's first two box predictors read). */
  backbone: tf.LayersModel;
}

/** Builds the backbone as tfjs layers with the pretrained weights set, plus global pooling, dropout and a 3-way head. */
export function buildSsdMobilenetClassifier(
  params: MobilenetParams,
  options: MobilenetClassifierOptions,
): MobilenetClassifier {
  const { inputSize, frozenBlocks, seed } = options;
  if (!Number.isInteger(frozenBlocks) || frozenBlocks < 0 || frozenBlocks >= MOBILENET_BLOCKS) {
    throw new MaskEdgeError('E_USAGE', `frozen blocks must be 0..${MOBILENET_BLOCKS - 1}`, {
      detail: { frozenBlocks },
    });
  }
  // Each entry: a layer and the weights it gets once built.
  const layers: { layer: tf.layers.Layer; weights: tf.Tensor[]; block: number }[] = [];
  const relu6 = (name: string, block: number) =>
    layers.push({ layer: tf.layers.reLU({ maxValue: 6, name }), weights: [], block });

  const conv0 = params.conv_0 as PointwiseParams;
  const [k0, b0] = stemWeights(conv0, options.input ?? 'imagenet');
  layers.push({
    layer: tf.layers.conv2d({
      filters: 32,
      kernelSize: 3,
      strides: 2,
      padding: 'same',
      name: 'mobilenet_conv0',
    }),
    weights: [k0, b0],
    block: 0,
  });
  relu6('mobilenet_conv0_relu6', 0);
  for (let i = 1; i <= MOBILENET_BLOCKS; i++) {
    const block = params[`conv_${i}`] as { depthwise_conv: DepthwiseParams; pointwise_conv: PointwiseParams };
    const dw = block.depthwise_conv;
    const factor = tf.div(dw.batch_norm_scale, tf.sqrt(tf.add(dw.batch_norm_variance, BN_EPSILON)));
    layers.push({
      layer: tf.layers.depthwiseConv2d({
        kernelSize: 3,
        strides: DEPTHWISE_STRIDE_2.has(i) ? 2 : 1,
        padding: 'same',
        name: `mobilenet_block${i}_depthwise`,
      }),
      // [3,3,C,1] * per-channel factor; bias = offset - mean * factor
      weights: [
        tf.mul(dw.filters, tf.reshape(factor, [1, 1, -1, 1])),
        tf.sub(dw.batch_norm_offset, tf.mul(dw.batch_norm_mean, factor)),
      ],
      block: i,
    });
    relu6(`mobilenet_block${i}_depthwise_relu6`, i);
    const pw = block.pointwise_conv;
    layers.push({
      layer: tf.layers.conv2d({
        filters: pw.filters.shape[3],
        kernelSize: 1,
        padding: 'same',
        name: `mobilenet_block${i}_pointwise`,
      }),
      weights: [pw.filters.clone(), pw.batch_norm_offset.clone()],
      block: i,
    });
    relu6(`mobilenet_block${i}_pointwise_relu6`, i);
    factor.dispose();
  }

  const image = tf.input({ shape: [inputSize, inputSize, 3], name: 'image' });
  const outputs: tf.SymbolicTensor[] = [];
  let x: tf.SymbolicTensor = image;
  let stemOut: tf.SymbolicTensor | undefined;
  const blockOutputs = new Map<number, tf.SymbolicTensor>();
  for (const entry of layers) {
    x = entry.layer.apply(x) as tf.SymbolicTensor;
    blockOutputs.set(entry.block, x);
    if (entry.block === frozenBlocks) stemOut = x;
  }
  outputs.push(blockOutputs.get(11)!, blockOutputs.get(MOBILENET_BLOCKS)!);
  const pool = tf.layers.globalAveragePooling2d({ name: 'mobilenet_pool' });
  const drop = tf.layers.dropout({ rate: options.dropout ?? 0, seed, name: 'mobilenet_dropout' });
  const head = tf.layers.dense({
    units: 3,
    kernelInitializer: tf.initializers.glorotUniform({ seed }),
    name: 'mobilenet_logits',
  });
  const logits = head.apply(drop.apply(pool.apply(x))) as tf.SymbolicTensor;
  const full = tf.model({ inputs: image, outputs: logits, name: 'teacher_ssd_mobilenet' });
  for (const { layer, weights } of layers) {
    if (weights.length > 0) layer.setWeights(weights);
    tf.dispose(weights);
  }
  const stem = tf.model({ inputs: image, outputs: stemOut!, name: 'teacher_ssd_mobilenet_stem' });
  const backbone = tf.model({ inputs: image, outputs, name: 'teacher_ssd_mobilenet_backbone' });

  // The trainable part as its own model over the stem's output, sharing the layer objects (and so the weights).
  const topInput = tf.input({ shape: stemOut!.shape.slice(1) as number[], name: 'stem_features' });
  let y: tf.SymbolicTensor = topInput;
  for (const { layer, block } of layers) if (block > frozenBlocks) y = layer.apply(y) as tf.SymbolicTensor;
  const topLogits = head.apply(drop.apply(pool.apply(y))) as tf.SymbolicTensor;
  const top = tf.model({ inputs: topInput, outputs: topLogits, name: 'teacher_ssd_mobilenet_top' });
  return { full, stem, top, backbone };
}

/**
 * The first conv's weights. For ImageNet-normalised input n = (x/255 - mean) / std, the detector's input is
 * d = x/127.5 - 1 = 2 std n + (2 mean - 1), so W d + b = (2 std W) n + (b + sum W (2 mean - 1)).
 * (Zero padding at the border then stands for d = 2 mean - 1, about 0, instead of 0: a negligible change.)
 */
function stemWeights(conv0: PointwiseParams, input: 'imagenet' | 'detector'): [tf.Tensor, tf.Tensor] {
  if (input === 'detector') return [conv0.filters.clone(), conv0.batch_norm_offset.clone()];
  return tf.tidy(() => {
    const scale = tf.tensor4d(
      IMAGENET_STD.map((s) => 2 * s),
      [1, 1, 3, 1],
    );
    const shift = tf.tensor4d(
      IMAGENET_MEAN.map((m) => 2 * m - 1),
      [1, 1, 3, 1],
    );
    const kernel = tf.mul(conv0.filters, scale);
    const bias = tf.add(conv0.batch_norm_offset, tf.sum(tf.mul(conv0.filters, shift), [0, 1, 2]));
    return [kernel, bias];
  });
}

/**
 * Fine-tunes blocks frozenBlocks+1..13 and the head on the run's crops at the teacher's size. The frozen stem
 * runs forward only, once per batch, on the same augmented view the trainer draws; the trainable part is the
 * trainer's model (so checkpoints, resume, data-parallel workers and epoch selection on validation apply).
 */
export async function fineTuneSsdMobilenet(ctx: RunContext): Promise<{
  model: tf.LayersModel;
  result: TrainResult;
  crops: Awaited<ReturnType<RunContext['cropsAt']>>;
}> {
  const settings = SSD_MOBILENET_TEACHER;
  const net = buildSsdMobilenetClassifier(await loadSsdMobilenetParams(), {
    inputSize: settings.inputSize,
    frozenBlocks: settings.frozenBlocks,
    seed: ctx.seed + 211,
    dropout: settings.dropout,
  });
  const crops = await ctx.cropsAt(settings.inputSize);
  const split = (s: 'train' | 'val') => ({ ids: [], images: crops[s], labels: ctx.labels[s] });
  const base = imageTask('ssd-mobilenet', net.top, split('train'), split('val'));
  const throughStem = (x: tf.Tensor): tf.Tensor => {
    const features = net.stem.predict(x) as tf.Tensor;
    x.dispose();
    return features;
  };
  const task: TrainTask = {
    ...base,
    batch(indices, rng) {
      const drawn = base.batch(indices, rng);
      return { x: throughStem(drawn.x), flipped: drawn.flipped };
    },
    valInput: (start, end) => throughStem(base.valInput(start, end)),
    stepLoss: (labels, _indices, _flipped, rng) =>
      kdStepLoss(undefined, { ...DEFAULT_KD_PARAMS, classWeights: ctx.classWeights }, labels, undefined, rng),
  };
  const epochs = ctx.teacherEpochs ?? TEACHER_EPOCHS['ssd-mobilenet'];
  const result = await train(task, {
    ...ctx.train,
    learningRate: ctx.train.learningRate * settings.learningRateScale,
    epochs,
    checkpointDir: ctx.checkpointDir('teacher-ssd-mobilenet'),
    resume: ctx.resume,
    onEpoch: ctx.onEpoch('teacher ssd-mobilenet'),
    onStep: ctx.onStep('teacher ssd-mobilenet', epochs),
  });
  return { model: net.full, result, crops };
}
