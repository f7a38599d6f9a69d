import { readFile, writeFile } from 'node:fs/promises';
import { z } from 'zod';
import { MaskEdgeError } from '../../core/errors.js';
import type { ClassMetrics } from '../../core/metrics.js';

/** What a model is in a run: the teacher(s), the distilled student(s), or a baseline to compare with. */
export type ModelRole = 'teacher' | 'student' | 'baseline';

/** One epoch of training; every figure optional so that any trainer can fill what it has. */
export interface EpochRecord {
  epoch: number;
  trainLoss?: number;
  trainAccuracy?: number;
  valLoss?: number;
  valAccuracy?: number;
  valBalancedAccuracy?: number;
  learningRate?: number;
  /** Wall seconds the epoch took. */
  seconds?: number;
}

/**
 * One model's entry in RUN/metrics.json: the ClassMetrics of its evaluation split (held-out test set by
 * default) plus size, speed and its training history.
 */
export interface ModelMetrics extends ClassMetrics {
  /** Unique within the run, e.g. 'teacher-facerec', 'student', 'student-no-kd', 'random-forest'. */
  name: string;
  role: ModelRole;
  /** One line for people: architecture, KD recipe, features... */
  description?: string;
  /** Trainable + frozen parameter count (undefined for models where it has no meaning, e.g. a forest). */
  parameters?: number;
  /** Compute backend used to train it, e.g. 'wasm', 'cpu', 'tensorflow', 'ml-random-forest'. */
  backend: string;
  /** Wall time to train this model, seconds. */
  wallTimeSec: number;
  /** Inference throughput measured on the evaluation split (images/s, batch as used). */
  imagesPerSec?: number;
  /** Training throughput (images/s). */
  trainImagesPerSec?: number;
  /** The split these ClassMetrics are on. */
  evaluatedOn?: 'test' | 'val';
  /** The epoch whose checkpoint was kept (best on validation). */
  bestEpoch?: number;
  /** Validation-split metrics of the kept checkpoint, when the headline metrics are on test. */
  validation?: ClassMetrics;
  /** For students: the teacher's name and the KD rounds, e.g. ['vanilla', 'self-training']. */
  teacher?: string;
  kd?: string[];
  history: EpochRecord[];
  /** Anything else worth showing (numbers or short strings). */
  extra?: Record<string, number | string>;
  /** Test-split metrics per `--data` source folder (its base name), when the run reads more than one. */
  bySource?: Record<string, ClassMetrics>;
}

/** RUN/metrics.json as a whole. */
export interface MetricsFile {
  version: 1;
  createdAt: string;
  labels: string[];
  /** Sample counts per split, e.g. { train: 2600, val: 330, test: 340 }. */
  splitCounts?: Record<string, number>;
  /** --data folders of the run. */
  data?: string[];
  seed?: number;
  /** Backend + device line for the run, e.g. 'wasm (1 thread)'. */
  backend?: string;
  totalWallTimeSec?: number;
  /** Names of the chosen teacher and student. */
  /** student = the kept (exported) student; distilledStudent = the best distilled one, reported against its teacher. */
  best?: { teacher?: string; student?: string; distilledStudent?: string };
  models: ModelMetrics[];
  /** Free-form remarks shown at the top of the report (e.g. backend failures, goals missed). */
  notes?: string[];
}

const finite = z.number().refine(Number.isFinite, 'must be a finite number');
const classMetricsShape = {
  samples: z.number().int().nonnegative(),
  accuracy: finite,
  balancedAccuracy: finite,
  perLabel: z.record(
    z.string(),
    z.object({ precision: finite, recall: finite, support: z.number().int().nonnegative() }),
  ),
  confusion: z.array(z.array(z.number().int().nonnegative())),
  labels: z.array(z.string()),
};
const classMetricsSchema = z.object(classMetricsShape);
const epochSchema = z.object({
  epoch: z.number().int(),
  trainLoss: finite.optional(),
  trainAccuracy: finite.optional(),
  valLoss: finite.optional(),
  valAccuracy: finite.optional(),
  valBalancedAccuracy: finite.optional(),
  learningRate: finite.optional(),
  seconds: finite.optional(),
});
const modelSchema = z.looseObject({
  ...classMetricsShape,
  name: z.string().min(1),
  role: z.enum(['teacher', 'student', 'baseline']),
  description: z.string().optional(),
  parameters: z.number().int().nonnegative().optional(),
  backend: z.string(),
  wallTimeSec: finite,
  imagesPerSec: finite.optional(),
  trainImagesPerSec: finite.optional(),
  evaluatedOn: z.enum(['test', 'val']).optional(),
  bestEpoch: z.number().int().optional(),
  validation: classMetricsSchema.optional(),
  teacher: z.string().optional(),
  kd: z.array(z.string()).optional(),
  history: z.array(epochSchema),
  extra: z.record(z.string(), z.union([z.number(), z.string()])).optional(),
  bySource: z.record(z.string(), classMetricsSchema).optional(),
});
export const metricsFileSchema = z.looseObject({
  version: z.literal(1),
  createdAt: z.string(),
  labels: z.array(z.string()),
  splitCounts: z.record(z.string(), z.number().int().nonnegative()).optional(),
  data: z.array(z.string()).optional(),
  seed: z.number().int().optional(),
  backend: z.string().optional(),
  totalWallTimeSec: finite.optional(),
  best: z
    .object({
      teacher: z.string().optional(),
      student: z.string().optional(),
      distilledStudent: z.string().optional(),
    })
    .optional(),
  models: z.array(modelSchema),
  notes: z.array(z.string()).optional(),
});

/** Validates parsed metrics.json content (unknown extra fields are kept); problems raise E_DATA listing every path. */
export function parseMetricsFile(raw: unknown, source = 'metrics.json'): MetricsFile {
  const result = metricsFileSchema.safeParse(raw);
  if (!result.success) {
    const issues = result.error.issues.map((i) => ({
      path: i.path.map(String).join('.') || '(root)',
      message: i.message,
    }));
    throw new MaskEdgeError(
      'E_DATA',
      `${source} is not a valid metrics file:\n${issues.map((i) => `  ${i.path}: ${i.message}`).join('\n')}`,
      { detail: { path: source, issues } },
    );
  }
  const names = new Set<string>();
  for (const m of result.data.models) {
    if (names.has(m.name)) {
      throw new MaskEdgeError('E_DATA', `${source} lists model "${m.name}" twice`, {
        detail: { path: source, name: m.name },
      });
    }
    names.add(m.name);
  }
  return result.data as MetricsFile;
}

export async function readMetricsFile(path: string): Promise<MetricsFile> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (cause) {
    throw new MaskEdgeError('E_NOT_FOUND', `metrics file not readable: ${path}`, { detail: { path }, cause });
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (cause) {
    throw new MaskEdgeError('E_DATA', `metrics file is not JSON: ${path}`, { detail: { path }, cause });
  }
  return parseMetricsFile(raw, path);
}

/** Validates and writes metrics.json (pretty-printed). */
export async function writeMetricsFile(path: string, file: MetricsFile): Promise<void> {
  const checked = parseMetricsFile(JSON.parse(JSON.stringify(file)), path);
  await writeFile(path, `${JSON.stringify(checked, null, 2)}\n`);
}
