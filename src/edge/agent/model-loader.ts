/**
 * Opens the agent's two models with the configured execution providers. A missing or unreadable model is a
 * clear E_MODEL error naming the file and the config field, raised before anything else starts.
 */
import { access } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { MaskEdgeError } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import type { ModelsConfig } from '../config/pipeline-config.js';
import type { SessionSettings } from '../inference/detector-worker-contract.js';
import { DetectorWorkerPool } from '../inference/detector-worker-pool.js';
import { type DetectorFailure, openDetector, resolveDetector } from '../inference/detector-zoo.js';
import type { FaceDetector } from '../inference/face-detector.js';
import { type VerifiedFaceDetector, withVerifier } from '../inference/face-verifier.js';
import { MaskClassifier } from '../inference/mask-classifier.js';
import type { TiledFaceDetector, TilingOptions } from '../inference/tiled-face-detector.js';

export interface OpenedModels {
  /** The detector (tiling large frames when detection.tileAboveScale > 0), behind the face verifier when models.verifier is set. */
  detector: FaceDetector | TiledFaceDetector | VerifiedFaceDetector;
  /** The face verifier file in use, if any, and why (or why none). */
  verifierPath?: string;
  verifierReason: string;
  /** The detector in use: zoo name (or file name) and path. */
  detectorName: string;
  detectorPath: string;
  classifier: MaskClassifier;
  model: { name: string; version: string };
  /** Providers that were tried and failed, per model (for stats and the startup log). */
  providerFailures: { classifier: { provider: string; error: string }[] };
  /** Detectors of a `models.detector` list that failed before the one in use opened. */
  detectorFailures: DetectorFailure[];
  /** Closes the detector's sessions alone (detector workers took over detection); close() then skips them. */
  releaseDetector(): Promise<void>;
  close(): Promise<void>;
}

/** Detector references of the config as a list (one name or path, or a list tried in order). */
export function detectorRefs(models: ModelsConfig): string[] {
  return typeof models.detector === 'string' ? [models.detector] : [...models.detector];
}

/** The ONNX Runtime settings of `models` every session gets (in the main thread and in detector workers). */
function sessionSettings(models: ModelsConfig): SessionSettings {
  return {
    providers: models.providers,
    ...(models.threads ? { threads: models.threads } : {}),
    ...(models.deviceId !== undefined ? { deviceId: models.deviceId } : {}),
    ...(models.powerPreference ? { powerPreference: models.powerPreference } : {}),
    ...(models.runtimePath ? { runtimePath: models.runtimePath } : {}),
  };
}

/** Checks that the classifier and at least one detector exist (used by --check-config too). */
export async function checkModelFiles(models: ModelsConfig): Promise<void> {
  const missing: { field: string; path: string }[] = [];
  const exists = async (path: string) =>
    access(path).then(
      () => true,
      () => false,
    );
  const detectors = detectorRefs(models).map((ref) => resolveDetector(ref).path);
  const found = await Promise.all(detectors.map(exists));
  if (!found.some(Boolean)) {
    for (const path of detectors) missing.push({ field: 'models.detector', path });
  }
  if (!(await exists(models.classifier)))
    missing.push({ field: 'models.classifier', path: models.classifier });
  if (!['none', 'auto'].includes(models.verifier) && !(await exists(models.verifier)))
    missing.push({ field: 'models.verifier', path: models.verifier });
  if (missing.length > 0) {
    throw new MaskEdgeError(
      'E_MODEL',
      `model file not found: ${missing.map((m) => `${m.field} = ${m.path}`).join(', ')}`,
      { detail: { missing } },
    );
  }
}

export async function openModels(
  models: ModelsConfig,
  logger: Logger,
  tiling?: TilingOptions,
): Promise<OpenedModels> {
  await checkModelFiles(models);
  const common = { ...sessionSettings(models), logger };
  const opened = await openDetector(detectorRefs(models), common);
  let detector: OpenedModels['detector'] = opened.detector;
  let classifier: MaskClassifier;
  let verifier: { path?: string; reason: string } = { reason: 'off' };
  try {
    ({ detector, verifier } = await withVerifier(opened, models.verifier, common, tiling));
    logger.info('face verifier', { verifier: verifier.path ?? 'none', reason: verifier.reason });
    classifier = await MaskClassifier.open(models.classifier, common);
  } catch (err) {
    await detector.close();
    throw err;
  }
  const meta = classifier.metadata;
  let detectorReleased = false;
  return {
    detector,
    detectorName: opened.name,
    detectorPath: opened.path,
    detectorFailures: opened.failures,
    ...(verifier.path ? { verifierPath: verifier.path } : {}),
    verifierReason: verifier.reason,
    classifier,
    model: {
      name: meta['mask_edge.model_name'] || 'unknown',
      version: meta['mask_edge.model_version'] || 'unknown',
    },
    providerFailures: { classifier: classifier.failures },
    async releaseDetector() {
      if (detectorReleased) return;
      detectorReleased = true;
      await detector.close();
    },
    async close() {
      await Promise.allSettled([detectorReleased ? undefined : detector.close(), classifier.close()]);
      detectorReleased = true;
    },
  };
}

/**
 * How many detector worker threads `models.detectorWorkers` means for this many enabled cameras on this many
 * cores, and why: auto = one per camera up to the cores when both are at least 2 (one camera gains nothing: its
 * frames are processed one after another), else 0.
 */
export function resolveDetectorWorkers(
  setting: ModelsConfig['detectorWorkers'],
  cameras: number,
  cores: number = availableParallelism(),
): { workers: number; reason: string } {
  if (setting !== 'auto') {
    return {
      workers: setting,
      reason: setting === 0 ? 'models.detectorWorkers: 0' : 'models.detectorWorkers',
    };
  }
  if (cameras < 2) return { workers: 0, reason: 'auto: one camera' };
  if (cores < 2) return { workers: 0, reason: 'auto: one core' };
  return { workers: Math.min(cameras, cores), reason: `auto: ${cameras} cameras, ${cores} cores` };
}

/**
 * The detector in worker threads when `models.detectorWorkers` asks for any (see resolveDetectorWorkers), else
 * undefined. Workers that cannot start leave detection on the main thread, with a warning: the agent still runs.
 */
export async function openDetectorWorkers(
  models: ModelsConfig,
  cameras: number,
  tileAboveScale: number,
  logger: Logger,
): Promise<DetectorWorkerPool | undefined> {
  const { workers, reason } = resolveDetectorWorkers(models.detectorWorkers, cameras);
  if (workers === 0) {
    logger.info('detector workers', { workers: 0, reason, detection: 'main thread' });
    return undefined;
  }
  try {
    const pool = await DetectorWorkerPool.open(
      {
        detectors: detectorRefs(models),
        verifier: models.verifier,
        ...(tileAboveScale > 0 ? { tileAboveScale } : {}),
        session: sessionSettings(models),
      },
      workers,
    );
    logger.info('detector workers', {
      workers,
      reason,
      detector: pool.detectorName,
      provider: pool.provider,
    });
    return pool;
  } catch (err) {
    logger.warn('detector workers did not start; detecting on the main thread', {
      workers,
      error: err as Error,
    });
    return undefined;
  }
}
