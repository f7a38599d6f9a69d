import type { Command } from 'commander';
import { notYetAvailable } from '../main.js';
import { collect, parseInteger } from './option-parsers.js';

export function registerData(program: Command): void {
  const data = program.command('data').description('inspect and prepare labelled face datasets');
  data
    .command('inspect')
    .description(
      'count faces per split and label, and flag unreadable files, tiny crops and cross-split duplicates',
    )
    .argument('<dir...>', 'dataset folder(s): ImageFolder, Pascal VOC or MaskedFace-Net')
    .option(
      '--min-face <px>',
      'flag crops whose shorter side is below this',
      parseInteger('--min-face', 1),
      24,
    )
    .option('--json', 'print one JSON object instead of a table')
    .action(async () => notYetAvailable('data inspect'));
  data
    .command('prepare')
    .description('write a resized ImageFolder with train/ val/ test/ splits')
    .requiredOption('--data <dir>', 'source dataset folder; repeatable', collect)
    .requiredOption('--out <dir>', 'output folder (created; must be empty or absent)')
    .option('--size <px>', 'output square size in pixels', parseInteger('--size', 8, 1024), 128)
    .option('--seed <n>', 'split seed', parseInteger('--seed', 0), 42)
    .action(async () => notYetAvailable('data prepare'));
}
