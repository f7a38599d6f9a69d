/**
 * The detector zoo: face detectors mask-edge builds from pretrained weights (`npm run build:models`, and
 * `prepare` on `npm ci`), each an ONNX file in models/ with its input size, letterboxing, box coding and the box
 * adjustment fitted on the Kaggle train split in its metadata (src/export/detector). A detector is named in the
 * agent config (`models.detector`), `eval --pipeline --detector` and `bench --detector` either by zoo name or by
 * an ONNX file path; a list of references is tried in order, like the execution-provider registry, and every
 * failure is reported.
 */
import { access } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { MaskEdgeError } from '../../core/errors.js';
import { MODELS_DIR } from '../../core/package-paths.js';
import { FaceDetector, type FaceDetectorOptions } from './face-detector.js';

/** How the build script makes an entry: which face-api network, at which square input size. */
export interface ZooDetector {
  name: string;
  architecture: 'ssd' | 'tiny';
  /** Square network input in pixels (the frame is letterboxed top-left onto it, black fill); the width if not square. */
  inputSize: number;
  /** Input height when it is not square (e.g. 384 for 512 x 384: a 4:3 frame with no letterbox band). */
  inputHeight?: number;
  /** ONNX file name in models/. */
  file: string;
  /** Recorded box adjustment (fitted on the Kaggle train split) in models/. */
  boxAdjustFile: string;
  /** Score threshold written into the model (the runtime default). */
  minScore: number;
  /** NMS IoU written into the model. */
  iou: number;
  /**
   * 'int8': the fp32 graph statically quantized (QLinearConv) with the activation ranges recorded in
   * `int8RangesFile` (models/); same input, anchors, thresholds and box adjustment as the fp32 entry `fp32Name`.
   */
  precision: 'fp32' | 'int8';
  /** Recorded calibration ranges in models/ (int8 entries). */
  int8RangesFile?: string;
  /** The fp32 entry an int8 entry is quantized from. */
  fp32Name?: string;
  /**
   * Fine-tuned box predictors in models/ (`mask-edge train-detector`, src/core/detector-heads-file.ts) that replace
   * face-api's; such an entry's box adjustment is the one train-detector fitted (never refitted by the build).
   */
  headsFile?: string;
  summary: string;
}

const ssd = (inputSize: number, file: string, boxAdjustFile: string): ZooDetector => ({
  name: `ssd-mobilenet-v1-${inputSize}`,
  architecture: 'ssd',
  inputSize,
  file,
  boxAdjustFile,
  minScore: 0.3,
  iou: 0.5,
  precision: 'fp32',
  summary: `face-api's SSD MobileNet v1 at ${inputSize} px`,
});

/** The SSD at `inputSize`, static INT8 (uint8 activations, int8 per-channel weights), from the fp32 entry. */
const ssdInt8 = (fp32: ZooDetector): ZooDetector => ({
  ...fp32,
  name: `${fp32.name}-int8`,
  file: `face-detector-ssd-${fp32.inputSize}.int8.onnx`,
  precision: 'int8',
  int8RangesFile: `face-detector-ssd-${fp32.inputSize}.int8-ranges.json`,
  fp32Name: fp32.name,
  summary: `${fp32.summary}, static INT8`,
});

/**
 * The 512 px SSD with a 512 x 384 input, static INT8: a 640x480 (4:3) frame fills it at the 512 px model's scale,
 * without the black quarter the square letterbox adds. Box adjustment of the 512 px entry (same pixel scale).
 */
const ssdInt8Wide = (fp32: ZooDetector, inputHeight: number): ZooDetector => ({
  ...ssdInt8(fp32),
  name: `ssd-mobilenet-v1-${fp32.inputSize}x${inputHeight}-int8`,
  inputHeight,
  file: `face-detector-ssd-${fp32.inputSize}x${inputHeight}.int8.onnx`,
  int8RangesFile: `face-detector-ssd-${fp32.inputSize}x${inputHeight}.int8-ranges.json`,
  summary: `${fp32.summary} with a ${fp32.inputSize} x ${inputHeight} input (4:3 frames, no letterbox band), static INT8`,
});

/**
 * The 512 x 384 SSD with its box predictors fine-tuned on the train split of both annotated sources (issue 11):
 * `mask-edge train-detector`, recorded in models/face-detector-ssd-512x384-tuned.heads.json with its box fits.
 */
const SSD_TUNED: ZooDetector = {
  name: 'ssd-mobilenet-v1-512x384-tuned',
  architecture: 'ssd',
  inputSize: 512,
  inputHeight: 384,
  file: 'face-detector-ssd-512x384-tuned.onnx',
  boxAdjustFile: 'face-detector-ssd-512x384-tuned.box-adjust.json',
  headsFile: 'face-detector-ssd-512x384-tuned.heads.json',
  minScore: 0.3,
  iou: 0.5,
  precision: 'fp32',
  summary:
    "face-api's SSD MobileNet v1, 512 x 384 input, box predictors fine-tuned on the Kaggle and ILC train splits",
};
const SSD_TUNED_INT8: ZooDetector = {
  ...SSD_TUNED,
  name: `${SSD_TUNED.name}-int8`,
  file: 'face-detector-ssd-512x384-tuned.int8.onnx',
  precision: 'int8',
  int8RangesFile: 'face-detector-ssd-512x384-tuned.int8-ranges.json',
  fp32Name: SSD_TUNED.name,
  summary: `${SSD_TUNED.summary}, static INT8`,
};

const tiny = (inputSize: number): ZooDetector => ({
  name: `tiny-face-${inputSize}`,
  architecture: 'tiny',
  inputSize,
  file: `face-detector-tiny-${inputSize}.onnx`,
  boxAdjustFile: `face-detector-tiny-${inputSize}.box-adjust.json`,
  minScore: 0.3,
  iou: 0.4,
  precision: 'fp32',
  summary: `face-api's tiny face detector (YOLO v2 style) at ${inputSize} px`,
});

const SSD_512 = ssd(512, 'face-detector.onnx', 'face-detector.box-adjust.json');
const SSD_384 = ssd(384, 'face-detector-ssd-384.onnx', 'face-detector-ssd-384.box-adjust.json');
const SSD_320 = ssd(320, 'face-detector-ssd-320.onnx', 'face-detector-ssd-320.box-adjust.json');

/** Every detector the build makes, the default first. */
export const DETECTOR_ZOO: readonly ZooDetector[] = [
  SSD_TUNED_INT8,
  ssdInt8Wide(SSD_512, 384),
  SSD_512,
  SSD_384,
  SSD_320,
  ssdInt8(SSD_512),
  ssdInt8(SSD_384),
  ssdInt8(SSD_320),
  SSD_TUNED,
  tiny(416),
  tiny(320),
];

/**
 * The agent's default: the 512 x 384 INT8 SSD with its box predictors fine-tuned on the train splits of both
 * annotated sources, behind the face verifier. Chosen on validation photos (docs/detectors.md): the highest
 * worst-source recall with at least 85% precision on both sources (79.1% against 76.1% for face-api's heads),
 * at the same CPU per frame.
 */
export const DEFAULT_DETECTOR_NAME = 'ssd-mobilenet-v1-512x384-tuned-int8';

export function zooDetectorNames(): string[] {
  return DETECTOR_ZOO.map((d) => d.name);
}

/** A file path (has a path separator or ends in .onnx) rather than a zoo name. */
export function isDetectorPath(ref: string): boolean {
  return ref.includes('/') || ref.includes('\\') || ref.toLowerCase().endsWith('.onnx');
}

export interface ResolvedDetector {
  /** Zoo name, or the file name for a path. */
  name: string;
  path: string;
  zoo?: ZooDetector;
}

/** A zoo name or an ONNX path -> the file to open. Unknown names are E_USAGE listing the known ones. */
export function resolveDetector(ref: string, modelsDir: string = MODELS_DIR): ResolvedDetector {
  if (isDetectorPath(ref)) return { name: basename(ref), path: ref };
  const zoo = DETECTOR_ZOO.find((d) => d.name === ref);
  if (!zoo) {
    throw new MaskEdgeError(
      'E_USAGE',
      `unknown face detector '${ref}'; known: ${zooDetectorNames().join(', ')} (or an ONNX file path)`,
      { detail: { detector: ref, known: zooDetectorNames() } },
    );
  }
  return { name: zoo.name, path: join(modelsDir, zoo.file), zoo };
}

/** Resolves and checks that the file exists: a zoo model that was not built is E_MODEL with the build command. */
export async function locateDetector(ref: string, modelsDir: string = MODELS_DIR): Promise<ResolvedDetector> {
  const resolved = resolveDetector(ref, modelsDir);
  try {
    await access(resolved.path);
  } catch {
    if (resolved.zoo) {
      throw new MaskEdgeError(
        'E_MODEL',
        `face detector '${ref}' is not built: ${resolved.path} not found; build it with ` +
          `\`node scripts/build-face-detector.mjs --detector ${ref} --box-adjust recorded\` (or \`npm run build:models\`)`,
        { detail: { detector: ref, path: resolved.path } },
      );
    }
    throw new MaskEdgeError('E_NOT_FOUND', `face detector file not found: ${resolved.path}`, {
      detail: { detector: ref, path: resolved.path },
    });
  }
  return resolved;
}

export interface DetectorFailure {
  detector: string;
  code: string;
  error: string;
}

export interface OpenedDetector extends ResolvedDetector {
  detector: FaceDetector;
  /** Earlier references that failed (empty when the first one opened). */
  failures: DetectorFailure[];
}

/**
 * Opens the first detector of `refs` (zoo names or paths) that loads. One reference: its own error is thrown.
 * Several: each failure is kept, and if none opens an E_MODEL error lists them all.
 */
export async function openDetector(
  refs: string | readonly string[],
  options: FaceDetectorOptions = {},
  modelsDir: string = MODELS_DIR,
): Promise<OpenedDetector> {
  const list = typeof refs === 'string' ? [refs] : [...refs];
  if (list.length === 0) {
    throw new MaskEdgeError('E_USAGE', 'no face detector named', {
      detail: { known: zooDetectorNames() },
    });
  }
  const failures: DetectorFailure[] = [];
  for (const ref of list) {
    try {
      const resolved = await locateDetector(ref, modelsDir);
      const detector = await FaceDetector.open(resolved.path, options);
      return { ...resolved, detector, failures };
    } catch (err) {
      if (list.length === 1) throw err;
      const code = err instanceof MaskEdgeError ? err.code : 'E_INTERNAL';
      failures.push({ detector: ref, code, error: err instanceof Error ? err.message : String(err) });
      options.logger?.warn('face detector failed to open; trying the next', { detector: ref, code });
    }
  }
  throw new MaskEdgeError(
    'E_MODEL',
    `no face detector could be opened: ${failures.map((f) => `${f.detector}: ${f.error}`).join('; ')}`,
    { detail: { failures } },
  );
}
