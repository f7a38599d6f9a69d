import type { Split } from '../../core/dataset/index.js';
import type { RgbImage } from '../../core/image-io.js';
import type { EpochRecord, TrainOptions } from '../loop/trainer.js';

export type SplitLogits = Record<Split, Float32Array>;

/** What every phase of a run needs: ordered split labels, cached crops at any size, training settings. */
export interface RunContext {
  seed: number;
  studentSize: number;
  labels: Record<Split, number[]>;
  /** Crops of every split at `size` (decoded once per size, cached on disk). */
  cropsAt(size: number): Promise<Record<Split, RgbImage[]>>;
  classWeights: number[];
  /** Where frozen-backbone features are cached per crop (FeatureCache); undefined = no cache. */
  featureCacheDir?: string;
  /** Base training options (epochs etc. overridden per phase). */
  train: Omit<TrainOptions, 'checkpointDir' | 'epochs'>;
  /** --teacher-epochs; undefined = each teacher's own default (TEACHER_EPOCHS). */
  teacherEpochs?: number;
  studentEpochs: number;
  checkpointDir(phase: string): string;
  resume: boolean;
  log(message: string): void;
  onEpoch(phase: string): (record: EpochRecord) => void;
  onStep(phase: string, epochs: number): TrainOptions['onStep'];
}

/** A trained (or loaded) model's outputs and facts, enough for metrics, selection and distillation. */
export interface ModelOutcome {
  name: string;
  description: string;
  parameters: number;
  logits: SplitLogits;
  history: EpochRecord[];
  bestEpoch?: number;
  wallTimeSec: number;
  trainImagesPerSec?: number;
  /** Inference images/s on the test split (backbone included). */
  imagesPerSec: number;
}
