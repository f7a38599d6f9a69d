import { z } from 'zod';
import { loadConfigFile } from '../core/config-loader.js';
import { MaskEdgeError } from '../core/errors.js';
import { BACKEND_NAMES } from './backends/backend.js';
import { DEFAULT_KD_PARAMS } from './kd/index.js';

/** `mask-edge train` options after defaults. Defaults finish on a 2-core machine in well under 30 minutes. */
export interface TrainSettings {
  data: string[];
  out: string;
  backend?: string;
  teachers: string[];
  teacherWeights?: string;
  kd: string[];
  /** What the teacher scores during distillation: the clean crop (once) or each step's augmented view. */
  teacherView: 'clean' | 'augmented';
  temperature: number;
  alpha: number;
  size: number;
  epochs: number;
  /** Teacher epochs as given; undefined = each teacher's own default (TEACHER_EPOCHS). */
  teacherEpochs?: number;
  batchSize: number;
  lr: number;
  weightDecay: number;
  width: number;
  blocks: number;
  baselines: boolean;
  /** Also try the mean-logit ensemble of the run's student CNNs as the kept student. */
  ensemble: boolean;
  /** Data-parallel gradient workers for the student, or 'auto' (parallel/worker-count.ts). */
  workers: number | 'auto';
  seed: number;
  patience: number;
  classWeights: 'balanced' | 'sqrt' | 'none';
  cacheDir?: string;
  /** --label-map NAME=LABEL entries as given (parsed by core/dataset parseLabelMap). */
  labelMap: string[];
  /** Leave faces with unknown label names out (counted) instead of failing with E_DATA. */
  skipUnknownLabels: boolean;
  resume: boolean;
  json: boolean;
}

/**
 * Teacher epochs when --teacher-epochs is not given: a head over frozen features (and the from-scratch control) is
 * cheap per epoch; the ssd-mobilenet fine-tune costs about 100-150 s per epoch on 2 cores and its validation
 * accuracy levels off by epoch 10-12 (runs/s10-mobilenet).
 */
export const TEACHER_EPOCHS = { head: 40, 'ssd-mobilenet': 12 } as const;

export const TRAIN_DEFAULTS = {
  teachers: ['ssd-mobilenet'],
  kd: ['vanilla'],
  teacherView: 'clean' as 'clean' | 'augmented',
  temperature: DEFAULT_KD_PARAMS.temperature,
  alpha: 0.5,
  size: 48,
  epochs: 30,
  batchSize: 64,
  lr: 3e-3,
  weightDecay: 0.01,
  width: 16,
  blocks: 4,
  workers: 'auto' as number | 'auto',
  seed: 1,
  patience: 0,
  classWeights: 'sqrt' as const,
};

export function trainSettings(opts: Record<string, unknown>): TrainSettings {
  const data = (opts.data as string[] | undefined) ?? [];
  if (data.length === 0 && !opts.resume) {
    throw new MaskEdgeError('E_USAGE', 'train needs at least one --data folder (or a --config with data)', {
      detail: { data },
    });
  }
  const teachers = [...((opts.teacher as string[] | undefined) ?? TRAIN_DEFAULTS.teachers)];
  if (opts.teacherWeights && !teachers.includes('user')) teachers.push('user');
  const cw = (opts.classWeights as string | undefined) ?? TRAIN_DEFAULTS.classWeights;
  if (!['balanced', 'sqrt', 'none'].includes(cw)) {
    throw new MaskEdgeError('E_USAGE', `--class-weights must be balanced, sqrt or none`, {
      detail: { classWeights: cw },
    });
  }
  const view = (opts.teacherView as string | undefined) ?? TRAIN_DEFAULTS.teacherView;
  if (view !== 'clean' && view !== 'augmented') {
    throw new MaskEdgeError('E_USAGE', '--teacher-view must be clean or augmented', {
      detail: { teacherView: view },
    });
  }
  const pick = <K extends keyof typeof TRAIN_DEFAULTS>(key: K, opt: string) =>
    (opts[opt] as (typeof TRAIN_DEFAULTS)[K] | undefined) ?? TRAIN_DEFAULTS[key];
  return {
    data,
    out: (opts.out as string | undefined) ?? 'runs/latest',
    ...(opts.backend ? { backend: opts.backend as string } : {}),
    teachers,
    ...(opts.teacherWeights ? { teacherWeights: opts.teacherWeights as string } : {}),
    kd: [...pick('kd', 'kd')],
    teacherView: view,
    temperature: pick('temperature', 'temperature'),
    alpha: pick('alpha', 'alpha'),
    size: pick('size', 'size'),
    epochs: pick('epochs', 'epochs'),
    ...(opts.teacherEpochs !== undefined ? { teacherEpochs: opts.teacherEpochs as number } : {}),
    batchSize: pick('batchSize', 'batchSize'),
    lr: pick('lr', 'lr'),
    weightDecay: pick('weightDecay', 'weightDecay'),
    width: pick('width', 'width'),
    blocks: pick('blocks', 'blocks'),
    baselines: opts.baselines !== false,
    ensemble: opts.ensemble !== false,
    workers: pick('workers', 'workers'),
    seed: pick('seed', 'seed'),
    patience: pick('patience', 'patience'),
    classWeights: cw as TrainSettings['classWeights'],
    ...(opts.cacheDir ? { cacheDir: opts.cacheDir as string } : {}),
    labelMap: [...((opts.labelMap as string[] | undefined) ?? [])],
    skipUnknownLabels: Boolean(opts.skipUnknownLabels),
    resume: Boolean(opts.resume),
    json: Boolean(opts.json),
  };
}

/** Per-class loss weights from train counts: balanced n/(C n_c), its square root, or none. */
export function classWeightsFor(counts: number[], mode: TrainSettings['classWeights']): number[] {
  const total = counts.reduce((a, b) => a + b, 0);
  return counts.map((c) => {
    if (mode === 'none' || c === 0) return 1;
    const w = total / (counts.length * c);
    return mode === 'sqrt' ? Math.sqrt(w) : w;
  });
}

/** `--config FILE` (YAML): the same settings as the flags, camelCase; flags given on the command line win. */
export const trainConfigSchema = z
  .object({
    data: z.array(z.string()).min(1).describe('dataset folders').optional(),
    backend: z.enum(BACKEND_NAMES).describe('force a backend').optional(),
    teacher: z.array(z.string()).describe('teachers to train and compare').optional(),
    teacherWeights: z.string().describe('a tfjs layers model.json used as an extra teacher').optional(),
    kd: z
      .array(z.enum(['vanilla', 'noisy-teacher', 'self-training', 'messy-collab']))
      .describe('distillation rounds')
      .optional(),
    teacherView: z
      .enum(['clean', 'augmented'])
      .describe("what the teacher scores: the clean crop once, or each step's augmented view")
      .optional(),
    temperature: z.number().positive().describe('distillation temperature').optional(),
    alpha: z.number().min(0).max(1).describe('weight of the soft-target term').optional(),
    size: z.number().int().min(16).max(512).describe('student input size, px').optional(),
    epochs: z.number().int().positive().describe('student epochs per round').optional(),
    teacherEpochs: z.number().int().positive().describe('teacher epochs').optional(),
    batchSize: z.number().int().positive().describe('mini-batch size').optional(),
    lr: z.number().positive().describe('AdamW learning rate').optional(),
    weightDecay: z.number().min(0).describe('AdamW decoupled weight decay').optional(),
    width: z.number().int().min(4).describe('student channels in the first block').optional(),
    blocks: z.number().int().min(1).max(8).describe('student conv blocks').optional(),
    baselines: z.boolean().describe('train the no-teacher student and the random forest').optional(),
    ensemble: z
      .boolean()
      .describe("also try the mean-logit ensemble of the run's student CNNs as the kept student")
      .optional(),
    workers: z
      .union([z.literal('auto'), z.number().int().min(1).max(64)])
      .describe('data-parallel gradient workers for the student (auto: see docs/train.md)')
      .optional(),
    seed: z.number().int().min(0).describe('seed for splits, init and augmentation').optional(),
    patience: z.number().int().min(0).describe('early-stop patience in epochs (0 = off)').optional(),
    classWeights: z.enum(['balanced', 'sqrt', 'none']).describe('loss weights against imbalance').optional(),
    cacheDir: z.string().describe('face crop cache folder').optional(),
    labelMap: z
      .array(z.string())
      .describe("NAME=LABEL: a dataset's own label name mapped to correct, incorrect, no_mask or skip")
      .optional(),
    skipUnknownLabels: z
      .boolean()
      .describe('leave faces with an unknown label name out (counted) instead of stopping with E_DATA')
      .optional(),
  })
  .strict();

/** Merges a YAML config under the command-line options (flags win; --no-baselines only when given). */
export function withConfig(opts: Record<string, unknown>): Record<string, unknown> {
  if (typeof opts.config !== 'string') return opts;
  const config = loadConfigFile(trainConfigSchema, opts.config) as Record<string, unknown>;
  const flags = Object.fromEntries(
    Object.entries(opts).filter(
      ([k, v]) => v !== undefined && !((k === 'baselines' || k === 'ensemble') && v === true),
    ),
  );
  const data = [
    ...((config.data as string[] | undefined) ?? []),
    ...((opts.data as string[] | undefined) ?? []),
  ];
  return { ...config, ...flags, data };
}
