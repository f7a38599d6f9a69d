/**
 * Resolves `--model RUN_OR_CHECKPOINT`: a training run folder (run.json + student/), a checkpoint folder or
 * a model.json. Reads what export needs from the run (CONTRACTS §3): input contract, data folders, splits,
 * the student's recorded accuracy. Parsing is tolerant of extra fields; missing essentials fall back to
 * documented defaults (reported as warnings).
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { MaskEdgeError } from '../core/errors.js';
import { IMAGENET_MEAN, IMAGENET_STD } from '../core/image-io.js';
import { LABELS } from '../core/labels.js';
import { resolveModelJson } from './tfjs/checkpoint.js';

export interface RunJson {
  labels?: string[];
  inputSize?: number;
  layout?: string;
  mean?: number[];
  std?: number[];
  colorOrder?: string;
  margin?: number;
  seed?: number;
  version?: number | string;
  data?: unknown[];
  /** The run's --label-map (name -> label or 'skip') and --skip-unknown-labels, to read its data the same way. */
  labelMap?: Record<string, 'correct' | 'incorrect' | 'no_mask' | 'skip'>;
  skipUnknownLabels?: boolean;
  [key: string]: unknown;
}

export interface ModelSource {
  modelJsonPath: string;
  /**
   * What the checkpoint is in its run: the student (RUN or RUN/student), or the run's teacher (RUN/teacher, an image
   * model such as the fine-tuned `ssd-mobilenet`, which takes its own input size rather than run.json's).
   */
  role?: 'student' | 'teacher';
  /** The run folder when --model named a run (or a checkpoint inside one). */
  runDir?: string;
  run?: RunJson;
  /** Sample ids per split from RUN/split.json. */
  splits?: Partial<Record<'train' | 'val' | 'test', string[]>>;
  /** The student's headline accuracy from RUN/metrics.json (and the split it was measured on). */
  recordedAccuracy?: { accuracy: number; split?: string; model: string };
  warnings: string[];
}

async function readJson(path: string): Promise<unknown> {
  try {
    return JSON.parse(await readFile(path, 'utf8'));
  } catch (cause) {
    throw new MaskEdgeError('E_MODEL', `cannot parse ${path} as JSON`, { detail: { path }, cause });
  }
}

export async function resolveModelSource(path: string): Promise<ModelSource> {
  const abs = resolve(path);
  const warnings: string[] = [];
  let runDir: string | undefined;
  let modelJsonPath: string;
  if (existsSync(join(abs, 'run.json'))) {
    runDir = abs;
    modelJsonPath = await resolveModelJson(join(abs, 'student'));
  } else {
    modelJsonPath = await resolveModelJson(abs);
    const parent = dirname(dirname(modelJsonPath));
    if (existsSync(join(parent, 'run.json'))) runDir = parent;
  }
  if (!runDir) {
    warnings.push(
      `no run.json next to ${modelJsonPath}: using default normalisation (ImageNet mean/std) and labels`,
    );
    return { modelJsonPath, warnings };
  }
  const run = (await readJson(join(runDir, 'run.json'))) as RunJson;
  const role = basename(dirname(modelJsonPath)) === 'teacher' ? 'teacher' : 'student';
  const teacherJson = join(dirname(modelJsonPath), 'teacher.json');
  if (role === 'teacher' && existsSync(teacherJson)) {
    const kind = ((await readJson(teacherJson)) as { kind?: string }).kind;
    if (kind === 'frozen-backbone-head') {
      throw new MaskEdgeError(
        'E_UNSUPPORTED',
        `${modelJsonPath} is the head of a frozen-backbone teacher (it reads backbone features, not images); only image-model teachers (ssd-mobilenet, scratch) export`,
        { detail: { path: modelJsonPath, kind } },
      );
    }
  }
  const source: ModelSource = { modelJsonPath, runDir, run, role, warnings };
  const splitPath = join(runDir, 'split.json');
  if (existsSync(splitPath)) source.splits = parseSplits(await readJson(splitPath));
  else warnings.push(`${splitPath} is missing: pass --calib for calibration images`);
  const metricsPath = join(runDir, 'metrics.json');
  if (existsSync(metricsPath)) {
    const named = role === 'teacher' ? run.bestTeacher : run.bestStudent;
    const best = typeof named === 'string' ? named : undefined;
    source.recordedAccuracy = recordedAccuracy(await readJson(metricsPath), role, best);
  }
  return source;
}

/** split.json: `{ train: [...], val: [...], test: [...] }` (ids or `{ id }`), optionally under `splits`. */
export function parseSplits(raw: unknown): ModelSource['splits'] {
  const obj = raw as Record<string, unknown>;
  const root = (typeof obj?.splits === 'object' && obj.splits ? obj.splits : obj) as Record<string, unknown>;
  const out: ModelSource['splits'] = {};
  for (const split of ['train', 'val', 'test'] as const) {
    const list = root?.[split];
    if (!Array.isArray(list)) continue;
    out[split] = list
      .map((x) => (typeof x === 'string' ? x : (x as { id?: string })?.id))
      .filter((x): x is string => typeof x === 'string');
  }
  return out;
}

/**
 * The exported model's entry: run.json's `bestStudent` (or `bestTeacher`) by name, else one called 'student', else
 * the first model of that role.
 */
function recordedAccuracy(
  raw: unknown,
  role: 'student' | 'teacher',
  bestName?: string,
): ModelSource['recordedAccuracy'] {
  const models = (raw as { models?: unknown })?.models;
  const list = Array.isArray(models)
    ? models
    : typeof models === 'object' && models
      ? Object.entries(models).map(([name, m]) => ({ name, ...(m as object) }))
      : [];
  const typed = list as { name?: string; role?: string; accuracy?: number; evaluatedOn?: string }[];
  const student =
    typed.find((m) => bestName !== undefined && m.name === bestName) ??
    typed.find((m) => m.name === role) ??
    typed.find((m) => m.role === role);
  if (!student || typeof student.accuracy !== 'number') return undefined;
  return { accuracy: student.accuracy, split: student.evaluatedOn, model: student.name ?? 'student' };
}

/** Dataset folders recorded in run.json (`data: [dir | { dir | path }]`), resolved against the run folder. */
export function runDataDirs(source: ModelSource): string[] {
  const data = source.run?.data ?? [];
  return data
    .map((d) =>
      typeof d === 'string'
        ? d
        : ((d as { dir?: string; path?: string })?.dir ?? (d as { path?: string })?.path),
    )
    .filter((d): d is string => typeof d === 'string')
    .map((d) => resolve(source.runDir ?? '.', d));
}

export interface InputContract {
  inputSize: number;
  mean: [number, number, number];
  std: [number, number, number];
  colorOrder: 'RGB' | 'BGR';
  labels: string[];
  margin: number;
}

export function inputContract(source: ModelSource, tfInputShape: number[]): InputContract {
  const run = source.run ?? {};
  const size = tfInputShape[0]!;
  // run.json's inputSize is the student's; a teacher checkpoint takes its own size.
  if (source.role !== 'teacher' && run.inputSize !== undefined && run.inputSize !== size) {
    throw new MaskEdgeError(
      'E_MODEL',
      `run.json says inputSize ${run.inputSize} but ${source.modelJsonPath} takes ${tfInputShape.join('x')}`,
      { detail: { path: source.modelJsonPath, expected: run.inputSize, actual: tfInputShape } },
    );
  }
  if (tfInputShape.length !== 3 || tfInputShape[2] !== 3 || tfInputShape[1] !== size) {
    throw new MaskEdgeError(
      'E_MODEL',
      `${source.modelJsonPath} takes input [${tfInputShape}]; a classifier takes [S, S, 3] RGB (NHWC)`,
      { detail: { path: source.modelJsonPath, expected: '[null, S, S, 3]', actual: tfInputShape } },
    );
  }
  const triple = (v: unknown, fallback: readonly number[]): [number, number, number] =>
    (Array.isArray(v) && v.length === 3 ? v : fallback) as [number, number, number];
  return {
    inputSize: size,
    mean: triple(run.mean, IMAGENET_MEAN),
    std: triple(run.std, IMAGENET_STD),
    colorOrder: run.colorOrder === 'BGR' ? 'BGR' : 'RGB',
    labels: Array.isArray(run.labels) ? run.labels : [...LABELS],
    margin: typeof run.margin === 'number' ? run.margin : 0.15,
  };
}

export function runName(source: ModelSource): string {
  return basename(source.runDir ?? dirname(source.modelJsonPath));
}
