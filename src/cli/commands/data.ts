import { type Command, Option } from 'commander';
import { addLabelOptions, collect, parseInteger, parseNumber } from './option-parsers.js';

const noseMouthOption = () =>
  new Option(
    '--mfn-nose-mouth <label>',
    "label for MaskedFace-Net '_Mask_Nose_Mouth' (chin uncovered) images: incorrect, correct or skip",
  )
    .choices(['incorrect', 'correct', 'skip'])
    .default('incorrect');

export function registerData(program: Command): void {
  const data = program.command('data').description('inspect and prepare labelled face datasets');
  const inspect = data.command('inspect');
  inspect
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
    .option(
      '--seed <n>',
      'seed of the 70/15/15 split shown for folders without preset splits (same default as train)',
      parseInteger('--seed', 0),
      1,
    )
    .option(
      '--no-decode',
      'skip decoding every photo (faster; unreadable or truncated files then go unnoticed)',
    )
    .addOption(noseMouthOption())
    .option('--json', 'print one JSON object instead of a table');
  addLabelOptions(inspect).action(
    async (
      dirs: string[],
      opts: {
        minFace: number;
        seed: number;
        decode: boolean;
        json?: boolean;
        mfnNoseMouth: string;
        labelMap?: string[];
        skipUnknownLabels?: boolean;
      },
    ) => {
      const { run } = await import('../../train/data/data-inspect-command.js');
      await run({
        dirs,
        minFace: opts.minFace,
        seed: opts.seed,
        decode: opts.decode,
        json: opts.json === true,
        mfnNoseMouth: opts.mfnNoseMouth as 'incorrect' | 'correct' | 'skip',
        labelMap: opts.labelMap,
        skipUnknownLabels: opts.skipUnknownLabels === true,
      });
    },
  );
  const prepare = data.command('prepare');
  prepare
    .description('write a resized ImageFolder with train/ val/ test/ splits')
    .requiredOption('--data <dir>', 'source dataset folder; repeatable', collect)
    .requiredOption('--out <dir>', 'output folder (created; must be empty or absent)')
    .option('--size <px>', 'output square size in pixels', parseInteger('--size', 8, 1024), 128)
    .option(
      '--margin <f>',
      'context around each face box, as a fraction of its size per side',
      parseNumber('--margin', 0, 2),
      0.15,
    )
    .option('--seed <n>', 'split seed (same default as train)', parseInteger('--seed', 0), 1)
    .addOption(noseMouthOption());
  addLabelOptions(prepare).action(
    async (opts: {
      data: string[];
      out: string;
      size: number;
      margin: number;
      seed: number;
      mfnNoseMouth: string;
      labelMap?: string[];
      skipUnknownLabels?: boolean;
    }) => {
      const { run } = await import('../../train/data/data-prepare-command.js');
      await run({ ...opts, mfnNoseMouth: opts.mfnNoseMouth as 'incorrect' | 'correct' | 'skip' });
    },
  );
}
