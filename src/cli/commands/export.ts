import type { Command } from 'commander';
import { notYetAvailable } from '../main.js';

export function registerExport(program: Command): void {
  program
    .command('export')
    .description('convert a trained student to verified ONNX (fp32, and static INT8 with --int8)')
    .requiredOption('--model <path>', 'training run directory or tfjs checkpoint (model.json)')
    .option('--out <dir>', 'output folder', 'models/export')
    .option('--int8', 'also write a statically quantized INT8 (QDQ) model')
    .option('--calib <dir>', 'calibration images (a dataset folder); repeatable')
    .action(async () => notYetAvailable('export'));
}
