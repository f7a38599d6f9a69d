import type { Command } from 'commander';
import { notYetAvailable } from '../main.js';

export function registerEval(program: Command): void {
  program
    .command('eval')
    .description(
      'accuracy of an ONNX classifier on a dataset, or of the whole device pipeline with --pipeline',
    )
    .option('--model <file>', 'ONNX mask classifier (default: the bundled model)')
    .option('--data <dir>', 'dataset folder (ImageFolder or Pascal VOC)')
    .option('--json', 'print exactly one JSON object on stdout')
    .action(async () => notYetAvailable('eval'));
}
