/**
 * Opens the agent's two models with the configured execution providers. A missing or unreadable model is a
 * clear E_MODEL error naming the file and the config field, raised before anything else starts.
 */
import { access } from 'node:fs/promises';
import { MaskEdgeError } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import type { ModelsConfig } from '../config/pipeline-config.js';
import { FaceDetector } from '../inference/face-detector.js';
import { MaskClassifier } from '../inference/mask-classifier.js';

export interface OpenedModels {
  detector: FaceDetector;
  classifier: MaskClassifier;
  model: { name: string; version: string };
  /** Providers that were tried and failed, per model (for stats and the startup log). */
  providerFailures: { classifier: { provider: string; error: string }[] };
  close(): Promise<void>;
}

/** Checks that both model files exist (used by --check-config too). */
export async function checkModelFiles(models: ModelsConfig): Promise<void> {
  const missing: { field: string; path: string }[] = [];
  for (const [field, path] of [
    ['models.detector', models.detector],
    ['models.classifier', models.classifier],
  ] as const) {
    try {
      await access(path);
    } catch {
      missing.push({ field, path });
    }
  }
  if (missing.length > 0) {
    throw new MaskEdgeError(
      'E_MODEL',
      `model file not found: ${missing.map((m) => `${m.field} = ${m.path}`).join(', ')}`,
      { detail: { missing } },
    );
  }
}

export async function openModels(models: ModelsConfig, logger: Logger): Promise<OpenedModels> {
  await checkModelFiles(models);
  const common = {
    providers: models.providers,
    logger,
    ...(models.threads ? { threads: models.threads } : {}),
    ...(models.deviceId !== undefined ? { deviceId: models.deviceId } : {}),
    ...(models.powerPreference ? { powerPreference: models.powerPreference } : {}),
    ...(models.runtimePath ? { runtimePath: models.runtimePath } : {}),
  };
  const detector = await FaceDetector.open(models.detector, common);
  let classifier: MaskClassifier;
  try {
    classifier = await MaskClassifier.open(models.classifier, common);
  } catch (err) {
    await detector.close();
    throw err;
  }
  const meta = classifier.metadata;
  return {
    detector,
    classifier,
    model: {
      name: meta['mask_edge.model_name'] || 'unknown',
      version: meta['mask_edge.model_version'] || 'unknown',
    },
    providerFailures: { classifier: classifier.failures },
    async close() {
      await Promise.allSettled([detector.close(), classifier.close()]);
    },
  };
}
