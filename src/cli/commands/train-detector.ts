import type { Command } from 'commander';
import { addAnnotatedDataOptions, addLabelOptions, parseInteger, parseNumber } from './option-parsers.js';

export interface TrainDetectorOptions {
  data?: string[];
  convention?: string[];
  out: string;
  seed: number;
  epochs: number;
  learningRate: number;
  base: string;
  limit?: number;
  labelMap?: string[];
  skipUnknownLabels?: boolean;
}

export function registerTrainDetector(program: Command): void {
  const command = program.command('train-detector');
  command
    .description(
      "fine-tune the SSD face detector's box predictors on annotated photos (train split), scored per source on validation photos beside the detector it started from",
    )
    .requiredOption(
      '--out <dir>',
      'output folder (detector-heads.json, box-adjust.json, face-detector-tuned.onnx, report.json)',
    )
    .option(
      '--seed <n>',
      'split seed (the same as train --seed on the same --data keeps one split)',
      parseInteger('--seed', 0),
      1,
    )
    .option(
      '--epochs <n>',
      'training epochs (the epoch with the lowest validation loss is kept)',
      parseInteger('--epochs', 1, 200),
      12,
    )
    .option(
      '--learning-rate <lr>',
      'Adam learning rate (cosine schedule)',
      parseNumber('--learning-rate', 1e-6, 1),
      1e-3,
    )
    .option(
      '--base <name>',
      'SSD of the detector zoo whose heads are fine-tuned (its input size and box fits)',
      'ssd-mobilenet-v1-512x384-int8',
    )
    .option(
      '--limit <n>',
      'use only the first N annotated photos of each split and box convention (quick checks)',
      parseInteger('--limit', 1),
    );
  addLabelOptions(addAnnotatedDataOptions(command)).action(async (opts: TrainDetectorOptions) => {
    const { runTrainDetector } = await import('../detector/train-detector-run.js');
    await runTrainDetector(opts);
  });
}
