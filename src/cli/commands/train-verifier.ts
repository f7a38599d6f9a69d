import type { Command } from 'commander';
import {
  addAnnotatedDataOptions,
  addLabelOptions,
  parseInteger,
  parseNumber,
  parseTileAboveScale,
} from './option-parsers.js';

export interface TrainVerifierOptions {
  data?: string[];
  convention?: string[];
  out: string;
  seed: number;
  epochs: number;
  width: number;
  detector: string;
  mineScore: number;
  tileAboveScale: number;
  minPrecision: number;
  limit?: number;
  labelMap?: string[];
  skipUnknownLabels?: boolean;
}

export function registerTrainVerifier(program: Command): void {
  const command = program.command('train-verifier');
  command
    .description(
      "train the face verifier on annotated photos: the detector's false faces (not_face) and refined face boxes, a second stage after the detector",
    )
    .requiredOption('--out <dir>', 'output folder (face-verifier.onnx, report.json, checkpoint/)')
    .option(
      '--seed <n>',
      'split seed (the same as train --seed on the same --data keeps one split)',
      parseInteger('--seed', 0),
      1,
    )
    .option('--epochs <n>', 'training epochs', parseInteger('--epochs', 1, 200), 12)
    .option(
      '--width <n>',
      "the verifier CNN's width: filters of its first block, doubled at each of its 4 blocks (cost per box grows about as its square)",
      parseInteger('--width', 4, 64),
      16,
    )
    .option(
      '--detector <name>',
      'face detector whose boxes are verified (zoo name or ONNX file)',
      'ssd-mobilenet-v1-512',
    )
    .option(
      '--mine-score <p>',
      'lowest detector score mined for training',
      parseNumber('--mine-score', 0.01, 0.9),
      0.1,
    )
    .option(
      '--tile-above-scale <x>',
      "mine boxes as the agent's detection.tileAboveScale finds them: photos at least this many times the detector's input are also detected in 2 x 2 overlapping tiles (0: never)",
      parseTileAboveScale,
      0,
    )
    .option(
      '--min-precision <p>',
      'the operating point: most recall on the worst source with at least this precision on every source (validation)',
      parseNumber('--min-precision', 0, 1),
      0.85,
    )
    .option(
      '--limit <n>',
      'use only the first N annotated photos of each split and --data folder (quick checks)',
      parseInteger('--limit', 1),
    );
  addLabelOptions(addAnnotatedDataOptions(command)).action(async (opts: TrainVerifierOptions) => {
    const { runTrainVerifier } = await import('../verifier/train-verifier-run.js');
    await runTrainVerifier(opts);
  });
}
