import { type Command, InvalidArgumentError, Option } from 'commander';
import { MaskEdgeError } from '../../core/errors.js';
import { addLabelOptions, collect, commaList, parseInteger, parseNumber } from './option-parsers.js';

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
    .option('--data <dir>', 'dataset folder (ImageFolder, Pascal VOC or MaskedFace-Net); repeatable', collect)
    .argument('[dir...]', 'dataset folder(s), the same as --data (older form)')
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
      positional: string[],
      opts: {
        data?: string[];
        minFace: number;
        seed: number;
        decode: boolean;
        json?: boolean;
        mfnNoseMouth: string;
        labelMap?: string[];
        skipUnknownLabels?: boolean;
      },
    ) => {
      const dirs = [...(opts.data ?? []), ...positional];
      if (dirs.length === 0) {
        throw new MaskEdgeError('E_USAGE', 'data inspect needs a dataset folder: --data DIR', {
          detail: { option: '--data' },
        });
      }
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
  const synth = data.command('synth');
  synth
    .description(
      'draw masks (correct and incorrectly worn) on unmasked faces of the train split: a train-only ImageFolder',
    )
    .option(
      '--data <dir>',
      'dataset folder, as train reads it (its no_mask faces of the train split are used); repeatable',
      collect,
      [],
    )
    .option(
      '--faces <dir>',
      'folder of face images you bring (each image one face, train only); repeatable',
      collect,
      [],
    )
    .requiredOption('--out <dir>', 'output folder (created; must be empty or absent)')
    .option(
      '--templates <dir>',
      'mask templates: masks.cfg + templates/ (default: ../shared/data/mask-templates)',
    )
    .option(
      '--families <list>',
      'template families to draw from, comma-separated (default: all but gas)',
      commaList,
    )
    .option(
      '--seed <n>',
      'split seed (use the one train will use) and seed of every random choice',
      parseInteger('--seed', 0),
      1,
    )
    .addOption(
      new Option('--variants <list>', 'variants to draw, comma-separated')
        .argParser(variantList)
        .default(['correct', 'nose-out', 'mouth-nose-out', 'chin-out', 'under-chin']),
    )
    .option(
      '--incorrect-per-face <n>',
      'incorrect variants drawn per face (random, no repeats)',
      parseInteger('--incorrect-per-face', 0, 4),
      1,
    )
    .option('--min-face <px>', 'skip faces whose box is smaller than this', parseInteger('--min-face', 8), 48)
    .option(
      '--max-side <px>',
      'scale larger face crops down to this',
      parseInteger('--max-side', 32, 2048),
      224,
    )
    .option(
      '--gallery <n>',
      'faces shown in OUT/gallery.png (0: none)',
      parseInteger('--gallery', 0, 100),
      12,
    )
    .option('--limit <n>', 'use only the first n faces of --data (trials)', parseInteger('--limit', 1))
    .option('--backend <name>', 'TensorFlow.js backend for the landmark net (default: best available)');
  addLabelOptions(synth).action(async (opts: Record<string, unknown>) => {
    const { run } = await import('../../train/synth/synth-command.js');
    await run(opts as unknown as Parameters<typeof run>[0]);
  });
}

const SYNTH_VARIANT_NAMES = ['correct', 'nose-out', 'mouth-nose-out', 'chin-out', 'under-chin'];

function variantList(value: string): string[] {
  const list = commaList(value);
  const bad = list.filter((v) => !SYNTH_VARIANT_NAMES.includes(v));
  if (list.length === 0 || bad.length > 0) {
    throw new InvalidArgumentError(`expected some of ${SYNTH_VARIANT_NAMES.join(', ')}; got '${value}'`);
  }
  return list;
}
