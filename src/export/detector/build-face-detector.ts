/**
 * Builds `face-detector.onnx` from the SSD MobileNet v1 weights shipped in @vladmandic/face-api, with the
 * metadata the runtime decoder reads (src/edge/inference/face-detector.ts): input contract, normalisation,
 * letterboxing, anchor generation parameters, box coding and default thresholds.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { MaskEdgeError } from '../../core/errors.js';
import { packageDir } from '../../core/package-paths.js';
import type { GraphBuilder } from '../onnx/graph-builder.js';
import { type DetectorQuantization, quantizeDetector } from './quantize-detector.js';
import {
  buildSsdMobilenetGraph,
  SSD_BOXES_OUTPUT,
  SSD_INPUT_NAME,
  SSD_SCORES_OUTPUT,
  SSD_TRAINING_SIZE,
} from './ssd-mobilenet-graph.js';
import { readTfjsWeights, type WeightTensor } from './tfjs-weights.js';
import { buildTinyFaceGraph, TINY_FACE_ANCHORS, TINY_FACE_MEAN_RGB } from './tiny-face-graph.js';

export const SSD_MANIFEST = 'ssd_mobilenetv1_model-weights_manifest.json';
export const TINY_MANIFEST = 'tiny_face_detector_model-weights_manifest.json';

/** 'ssd': SSD MobileNet v1 (recall); 'tiny': the tiny YOLO v2 style face detector (speed). */
export type DetectorArchitecture = 'ssd' | 'tiny';

/** Runtime defaults written into the model (score threshold, NMS IoU, max faces). */
export interface DetectorDefaults {
  minScore: number;
  iou: number;
  maxFaces: number;
}

export interface BuildFaceDetectorOptions {
  /** Output .onnx path. */
  out: string;
  architecture?: DetectorArchitecture;
  /** Square network input in pixels (multiple of 32; default 512 for ssd, 416 for tiny). */
  inputSize?: number;
  /**
   * SSD only: input height when it differs from `inputSize` (then the width), e.g. 384 for 512 x 384, which fits
   * a 4:3 frame without the letterbox's black band (multiple of 32).
   */
  inputHeight?: number;
  /** Folder holding the tfjs weights manifest (default: @vladmandic/face-api's model/). */
  weightsDir?: string;
  defaults?: Partial<DetectorDefaults>;
  /** Box convention adjustment fitted on annotated photos (see src/edge/eval/box-calibration.ts). */
  boxAdjust?: { dx: number; dy: number; sw: number; sh: number };
  /** The same fit per annotation source (e.g. kaggle, ilc), selectable at run time by name. */
  boxAdjustBySource?: Record<string, { dx: number; dy: number; sw: number; sh: number }>;
  /** Write the static INT8 model of this detector, quantized with these recorded activation ranges. */
  int8?: DetectorQuantization;
  /**
   * SSD only: box-predictor tensors that replace face-api's (a head fine-tune, see src/core/detector-heads-file.ts),
   * by tfjs name; `headsNote` says where they come from (metadata 'mask_edge.heads').
   */
  heads?: ReadonlyMap<string, WeightTensor>;
  headsNote?: string;
  /** SSD only: also output the six maps the box predictors read (for fine-tuning the heads). */
  featureOutputs?: boolean;
}

export interface BuiltFaceDetector {
  path: string;
  bytes: number;
  inputSize: number;
  inputHeight: number;
  anchors: number;
  metadata: Record<string, string>;
}

/** face-api's own settings for this model (minConfidence 0.5, NMS IoU 0.5, 100 results). */
export const FACE_API_DEFAULTS: DetectorDefaults = { minScore: 0.5, iou: 0.5, maxFaces: 100 };
/** face-api's settings for the tiny detector (scoreThreshold 0.5, NMS IoU 0.4). */
export const TINY_FACE_API_DEFAULTS: DetectorDefaults = { minScore: 0.5, iou: 0.4, maxFaces: 100 };

export function faceApiModelDir(): string {
  return join(packageDir('@vladmandic/face-api'), 'model');
}

export async function buildFaceDetector(options: BuildFaceDetectorOptions): Promise<BuiltFaceDetector> {
  const architecture = options.architecture ?? 'ssd';
  const tiny = architecture === 'tiny';
  const inputSize = options.inputSize ?? (tiny ? 416 : SSD_TRAINING_SIZE);
  if (!Number.isInteger(inputSize) || inputSize < 128 || inputSize % 32 !== 0) {
    throw new MaskEdgeError(
      'E_USAGE',
      `detector input size must be a multiple of 32, at least 128: ${inputSize}`,
      {
        detail: { inputSize },
      },
    );
  }
  const inputHeight = options.inputHeight ?? inputSize;
  if (
    !Number.isInteger(inputHeight) ||
    inputHeight < 128 ||
    inputHeight % 32 !== 0 ||
    (tiny && inputHeight !== inputSize)
  ) {
    throw new MaskEdgeError(
      'E_USAGE',
      `detector input height must be a multiple of 32, at least 128 (SSD only): ${inputHeight}`,
      { detail: { inputHeight, architecture } },
    );
  }
  const weightsDir = options.weightsDir ?? faceApiModelDir();
  const weights = await readTfjsWeights(join(weightsDir, tiny ? TINY_MANIFEST : SSD_MANIFEST));
  for (const [name, tensor] of options.heads ?? []) {
    const original = weights.get(name);
    if (tiny || !original || original.shape.join() !== tensor.shape.join()) {
      throw new MaskEdgeError(
        'E_MODEL',
        `fine-tuned head tensor ${name} does not fit the ${architecture} detector`,
        {
          detail: { name, shape: tensor.shape, expected: original?.shape },
        },
      );
    }
    weights.set(name, tensor);
  }
  const defaults = { ...(tiny ? TINY_FACE_API_DEFAULTS : FACE_API_DEFAULTS), ...options.defaults };
  let graph: GraphBuilder;
  let anchors: number;
  let coding: Record<string, string | number | object>;
  if (tiny) {
    const built = buildTinyFaceGraph(weights, inputSize);
    graph = built.graph;
    anchors = built.grid[0] * built.grid[1] * TINY_FACE_ANCHORS.length;
    coding = {
      'mask_edge.model_name': 'tiny-face-detector',
      'mask_edge.source': '@vladmandic/face-api model/tiny_face_detector_model (MIT)',
      // (x - mean RGB) / 255 written as (x/255 - mean/255) / 1
      'mask_edge.mean': TINY_FACE_MEAN_RGB.map((m) => m / 255),
      'mask_edge.std': [1, 1, 1],
      // Per grid cell (row, col) and anchor [w, h] in cells: cx = (col + sigmoid(tx)) / cols,
      // cy = (row + sigmoid(ty)) / rows, w = exp(tw) * aw / cols, h = exp(th) * ah / rows.
      'mask_edge.box_coding': { kind: 'yolo-v2', grid: built.grid, anchors: TINY_FACE_ANCHORS },
    };
  } else {
    const built = buildSsdMobilenetGraph(weights, inputSize, inputHeight, {
      featureOutputs: options.featureOutputs === true,
    });
    graph = built.graph;
    anchors = built.anchors.reduce((n, a) => n + a.featureMap[0] * a.featureMap[1] * a.boxes.length, 0);
    coding = {
      'mask_edge.model_name': 'ssd-mobilenet-v1-face',
      'mask_edge.source': '@vladmandic/face-api model/ssd_mobilenetv1_model (MIT)',
      // x / 127.5 - 1 written as (x/255 - 0.5) / 0.5
      'mask_edge.mean': [0.5, 0.5, 0.5],
      'mask_edge.std': [0.5, 0.5, 0.5],
      // Anchors: per layer, a featureMap grid of cells `stride` input pixels apart (centres at (i + 0.5) * stride),
      // rows ordered (y, x, anchor); anchor sizes [h, w] in input pixels.
      'mask_edge.anchors': built.anchors,
      'mask_edge.box_coding': { kind: 'ssd-center-size', order: ['y', 'x', 'h', 'w'], scale: [10, 10, 5, 5] },
    };
  }
  const meta: Record<string, string | number | object> = {
    'mask_edge.kind': 'detector',
    'mask_edge.model_version': '1',
    'mask_edge.input_name': SSD_INPUT_NAME,
    'mask_edge.layout': 'NCHW',
    // a number (square) or [height, width], as src/core/onnx-contract.ts reads it
    'mask_edge.input_size': inputHeight === inputSize ? inputSize : [inputHeight, inputSize],
    'mask_edge.color_order': 'RGB',
    'mask_edge.scale': '1/255',
    // The frame is scaled to fit, placed top-left, the rest filled with black (pixel value 0).
    'mask_edge.letterbox': { align: 'top-left', fill: 0 },
    'mask_edge.outputs': { boxes: SSD_BOXES_OUTPUT, scores: SSD_SCORES_OUTPUT },
    'mask_edge.score_kind': 'sigmoid',
    ...coding,
    'mask_edge.defaults': defaults,
    ...(options.heads ? { 'mask_edge.heads': options.headsNote ?? 'fine-tuned box predictors' } : {}),
    ...(options.boxAdjust ? { 'mask_edge.box_adjust': options.boxAdjust } : {}),
    ...(options.boxAdjustBySource && Object.keys(options.boxAdjustBySource).length > 0
      ? { 'mask_edge.box_adjust_by_source': options.boxAdjustBySource }
      : {}),
  };
  for (const [key, value] of Object.entries(meta)) graph.setMetadata(key, value);
  const fp32 = graph.serialize({
    docString: `${meta['mask_edge.model_name']} face detector converted by mask-edge`,
  });
  const bytes = options.int8 ? quantizeDetector(fp32, options.int8) : fp32;
  await mkdir(dirname(options.out), { recursive: true });
  await writeFile(options.out, bytes);
  return {
    path: options.out,
    bytes: bytes.length,
    inputSize,
    inputHeight,
    anchors,
    metadata: {
      ...Object.fromEntries(graph.metadata),
      ...(options.int8 ? { 'mask_edge.precision': 'int8' } : {}),
    },
  };
}
