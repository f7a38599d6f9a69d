/**
 * Pipeline sections of the agent config: models and execution providers, detection, tracking, cameras,
 * annotated frames, snapshots and the stats period. `agent-config.ts` composes them with the MQTT, health
 * and device sections (spread `pipelineConfigShape` into its top-level object).
 */
import { join } from 'node:path';
import { z } from 'zod';
import { MODELS_DIR } from '../../core/package-paths.js';
import { DEFAULT_DETECTOR_NAME, isDetectorPath, zooDetectorNames } from '../inference/detector-zoo.js';
import { sourceConfigSchema } from './source-config.js';

export const DEFAULT_CLASSIFIER_PATH = join(MODELS_DIR, 'mask-classifier.int8.onnx');

const fraction = z.number().min(0).max(1);
/** A file or folder path (PATH_MAX). */
const pathString = z.string().min(1).max(4096);
/** Seconds for a timer: at least 10 ms, at most a day (Node timers overflow past 24.8 days). */
const seconds = (min: number, max = 86_400) => z.number().min(min).max(max);

/** A detector zoo name or an ONNX file path (a path has a slash or ends in .onnx). */
const detectorRef = pathString.refine((v) => isDetectorPath(v) || zooDetectorNames().includes(v), {
  error: (issue) =>
    `unknown face detector '${String(issue.input)}'; known: ${zooDetectorNames().join(', ')} (or an ONNX file path)`,
});

export const modelsSchema = z
  .object({
    detector: z
      .union([detectorRef, z.array(detectorRef).min(1).max(8)])
      .default(DEFAULT_DETECTOR_NAME)
      .describe(
        'face detector: a zoo name (default ssd-mobilenet-v1-512x384-tuned-int8, box predictors fine-tuned on Kaggle and ILC; ssd-mobilenet-v1-512x384-tuned (fp32), ssd-mobilenet-v1-512, ssd-mobilenet-v1-384, ssd-mobilenet-v1-320, their static INT8 versions ssd-mobilenet-v1-512-int8/-384-int8/-320-int8, ssd-mobilenet-v1-512x384-int8, tiny-face-416, tiny-face-320) or an ONNX file, or a list of them tried in order (the first that opens is used; every failure is logged)',
      ),
    classifier: pathString
      .default(DEFAULT_CLASSIFIER_PATH)
      .describe('mask classifier ONNX file (fp32 or int8)'),
    verifier: pathString
      .default('auto')
      .describe(
        "face verifier run on every detector box: drops the detector's false faces (counted in mask_edge_faces_rejected) and refines the boxes; then detection.minScore applies to sqrt(detector score x face probability). auto = the bundled models/face-verifier.onnx when the detector is the one it was trained on (ssd-mobilenet-v1-512 and its variants), else off; a file (mask-edge train-verifier) = always; none = off",
      ),
    providers: z
      .array(z.string().min(1).max(32))
      .min(1)
      .max(8)
      .default(['auto'])
      .describe(
        'execution providers in priority order (tensorrt, cuda, webgpu, cpu); auto = those of tensorrt, cuda, webgpu whose libraries or GPU adapter are present, then cpu; each listed one is tried and failures are logged',
      ),
    deviceId: z
      .number()
      .int()
      .min(0)
      .max(64)
      .optional()
      .describe('GPU index for cuda/tensorrt (default 0); webgpu picks its adapter by powerPreference'),
    powerPreference: z
      .enum(['high-performance', 'low-power'])
      .optional()
      .describe('WebGPU adapter choice (default high-performance: the discrete GPU where there are two)'),
    threads: z
      .number()
      .int()
      .min(1)
      .max(64)
      .optional()
      .describe('onnxruntime intra-op threads per model, 1-64 (default: one per core)'),
    detectorWorkers: z
      .union([z.literal('auto'), z.number().int().min(0).max(16)])
      .default('auto')
      .describe(
        "worker threads that run detection (detector, face verifier, tiling), each with its own ONNX Runtime sessions, so one agent detects for several cameras on several cores (ONNX Runtime's node binding runs a model on the calling thread). 0 = on the agent's main thread; auto = one per enabled camera up to the number of cores when there are at least 2 of each, else 0",
      ),
    runtimePath: pathString
      .optional()
      .describe('folder of a custom onnxruntime-node build (e.g. with TensorRT on Jetson)'),
  })
  .strict();

export const detectionSchema = z
  .object({
    minScore: fraction.optional().describe("detector score threshold (default: the model's own)"),
    iou: fraction.optional().describe("NMS overlap threshold (default: the model's own)"),
    maxFaces: z.number().int().positive().max(1000).default(20).describe('most faces kept per frame'),
    everyFrames: z
      .number()
      .int()
      .min(1)
      .max(30)
      .default(1)
      .describe(
        'run the detector on every Nth processed frame; frames in between reuse its boxes (faces move little in a frame)',
      ),
    tileAboveScale: z
      .number()
      .min(0)
      .max(100)
      .refine((v) => v === 0 || v > 1, 'must be 0 (never) or above 1')
      .default(1.5)
      .describe(
        "frames at least this many times the detector's input (e.g. 1.5: 768 x 576 and up for a 512 x 384 detector) are also detected in 2 x 2 overlapping tiles, so small faces in high-resolution frames are found; costs 5 detector runs on such frames, none on smaller ones (a 640x480 camera is 1.25x); 0 = never",
      ),
    minFaceSize: z
      .number()
      .min(0)
      .max(10_000)
      .default(0)
      .describe('ignore faces whose box is narrower than this many pixels (too small to judge)'),
    correctMinProbability: fraction
      .refine((v) => v > 0 && v < 1, 'must be between 0 and 1')
      .optional()
      .describe(
        'report `correct` only when the classifier gives it at least this probability, else the likelier of incorrect / no_mask (both alert): higher = fewer missed alerts, more false ones; the model card gives both counts per value (default: the most likely label)',
      ),
  })
  .strict();

export const trackingSchema = z
  .object({
    iouThreshold: fraction
      .refine((v) => v > 0, 'must be above 0')
      .default(0.3)
      .describe('least box overlap between frames for a face to stay the same track'),
    maxAgeSeconds: seconds(0.01, 3600)
      .default(1.5)
      .describe('a track unseen this long has left (end event), 0.01-3600'),
    stableFrames: z
      .number()
      .int()
      .min(1)
      .max(100)
      .default(3)
      .describe('frames a label must hold on a track before it is reported'),
    cooldownSeconds: seconds(0)
      .default(30)
      .describe('least time between two reports of the same label on the same track'),
    reclassifyEvery: z
      .number()
      .int()
      .min(1)
      .max(30)
      .default(3)
      .describe(
        'a person whose label is settled is classified again on every Nth frame only (1: every frame); new and unsettled people are classified on every frame. Default 3: a change of mask on a settled person is seen at most 2 frames later (67 ms at 30 fps), for a third of the classifier work',
      ),
    sceneChangeThreshold: fraction
      .default(0.25)
      .describe(
        'end every track when the frame differs from the previous one by more than this (mean grey difference of 16x16 thumbnails, 0..1; a camera cut); 0: only on a new photo or frame size',
      ),
  })
  .strict();

export const cameraSchema = z
  .object({
    id: z
      .string()
      .regex(/^[A-Za-z0-9_-]{1,64}$/, 'letters, digits, _ and - only (it is an MQTT topic level)')
      .describe('camera id, used in MQTT topics and events'),
    source: sourceConfigSchema.describe('where frames come from (images, ffmpeg, webcam or a URL string)'),
    enabled: z.boolean().default(true).describe('false: keep the camera in config but do not run it'),
    detection: detectionSchema.partial().optional().describe('per-camera overrides of `detection`'),
    tracking: trackingSchema.partial().optional().describe('per-camera overrides of `tracking`'),
    zone: z
      .array(z.tuple([fraction, fraction]))
      .min(3, 'a zone needs at least 3 points')
      .max(64)
      .optional()
      .describe(
        'polygon [[x, y], ...] in frame fractions (0..1, from the top-left): faces whose box centre is outside are ignored; drawn on annotated frames',
      ),
  })
  .strict();

export const annotateSchema = z
  .object({
    enabled: z.boolean().default(false).describe('write annotated frames (boxes + labels) to disk'),
    dir: pathString.default('annotated').describe('folder for annotated JPEGs (one subfolder per camera)'),
    everySeconds: seconds(0)
      .default(1)
      .describe('at most one annotated frame per camera per this many seconds (0: every processed frame)'),
    onlyWithFaces: z.boolean().default(true).describe('skip frames without faces'),
    keep: z
      .number()
      .int()
      .min(1)
      .max(100_000)
      .default(200)
      .describe('newest files kept per camera; older are deleted'),
  })
  .strict();

export const snapshotsSchema = z
  .object({
    enabled: z
      .boolean()
      .default(false)
      .describe('attach a JPEG to new/update events (off by default: faces are personal data)'),
    kind: z.enum(['face', 'frame']).default('face').describe('face crop, or the whole annotated frame'),
    quality: z.number().int().min(1).max(100).default(80).describe('JPEG quality'),
  })
  .strict();

export const statsSchema = z
  .object({
    intervalSeconds: seconds(0.1).default(30).describe('period of the stats message, 0.1-86400'),
    stateIntervalSeconds: seconds(0.1)
      .default(60)
      .describe('period of re-publishing per-camera state counts (also published on every change)'),
  })
  .strict();

/** Spread into the top-level agent config object. */
export const pipelineConfigShape = {
  models: modelsSchema.prefault({}).describe('ONNX models and execution providers'),
  detection: detectionSchema.prefault({}).describe('face detection defaults for every camera'),
  tracking: trackingSchema.prefault({}).describe('tracking and alert defaults for every camera'),
  cameras: z
    .array(cameraSchema)
    .min(1)
    .max(64)
    .superRefine((cams, ctx) => {
      const seen = new Set<string>();
      cams.forEach((cam, i) => {
        if (seen.has(cam.id)) {
          ctx.addIssue({ code: 'custom', message: `duplicate camera id '${cam.id}'`, path: [i, 'id'] });
        }
        seen.add(cam.id);
      });
    })
    .describe('cameras to watch (at least one)'),
  annotate: annotateSchema.prefault({}).describe('annotated frames written to disk'),
  snapshots: snapshotsSchema.prefault({}).describe('JPEG snapshots with events'),
  stats: statsSchema.prefault({}).describe('periodic stats and state'),
};

/** The pipeline sections alone (tests, and configs without MQTT). */
export const pipelineConfigSchema = z.object(pipelineConfigShape).strict();

export type ModelsConfig = z.infer<typeof modelsSchema>;
export type DetectionConfig = z.infer<typeof detectionSchema>;
export type TrackingConfig = z.infer<typeof trackingSchema>;
export type CameraConfig = z.infer<typeof cameraSchema>;
export type AnnotateConfig = z.infer<typeof annotateSchema>;
export type SnapshotsConfig = z.infer<typeof snapshotsSchema>;
export type PipelineConfig = z.infer<typeof pipelineConfigSchema>;
