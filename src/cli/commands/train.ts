import type { Command } from 'commander';
import { addLabelOptions, collect, commaList, parseInteger, parseNumber } from './option-parsers.js';

export function registerTrain(program: Command): void {
  const command = program.command('train');
  command
    .description('train teacher(s), distill a small student CNN, train baselines, and write a report')
    .option(
      '--data <dir>',
      'labelled dataset folder (ImageFolder, Pascal VOC or MaskedFace-Net); repeatable',
      collect,
    )
    .option(
      '--out <dir>',
      'run directory for checkpoints, metrics.json, PNG charts and report.html',
      'runs/latest',
    )
    .option('--config <file>', 'YAML training config (flags override it)')
    .option(
      '--backend <name>',
      'force a backend: tfjs-node-gpu, webgpu, tfjs-node, wasm, cpu (default: the first that starts, in that order)',
    )
    .option(
      '--teacher <names>',
      "teacher(s) to train and compare, comma-separated: face-recognition, face-recognition-mid, face-embedding, landmark-tiny, landmark, expression, age-gender, scratch, ssd-mobilenet (the face detector's backbone, partly fine-tuned) (default ssd-mobilenet)",
      commaList,
    )
    .option('--teacher-weights <path>', 'a tfjs layers model (model.json) you bring as an extra teacher')
    .option(
      '--kd <methods>',
      'distillation round(s), chained: vanilla, noisy-teacher, self-training (a first round learns from a label-only copy of the student), messy-collab (default vanilla)',
      commaList,
    )
    .option(
      '--teacher-view <view>',
      "what the teacher scores while distilling: clean (the unaugmented crop, once) or augmented (each step's augmented view, the image the student sees; slower) (default clean)",
    )
    .option('--temperature <T>', 'distillation temperature (default 4)', parseNumber('--temperature', 0.01))
    .option(
      '--alpha <a>',
      'weight of the distillation term (1-alpha on the hard labels) (default 0.5)',
      parseNumber('--alpha', 0, 1),
    )
    .option('--size <px>', 'input size of the student (default 48)', parseInteger('--size', 16, 512))
    .option('--epochs <n>', 'student epochs per distillation round (default 30)', parseInteger('--epochs', 1))
    .option(
      '--teacher-epochs <n>',
      'teacher epochs, used as given (default: 12 for ssd-mobilenet, 40 for the heads over frozen features and scratch)',
      parseInteger('--teacher-epochs', 1),
    )
    .option('--batch-size <n>', 'mini-batch size (default 64)', parseInteger('--batch-size', 1))
    .option('--lr <rate>', 'learning rate (AdamW) (default 0.003)', parseNumber('--lr', 0))
    .option(
      '--weight-decay <wd>',
      'decoupled weight decay (AdamW) (default 0.01)',
      parseNumber('--weight-decay', 0),
    )
    .option(
      '--width <n>',
      'student width: channels of the first conv block (default 16)',
      parseInteger('--width', 4),
    )
    .option('--blocks <n>', 'student conv blocks (default 4)', parseInteger('--blocks', 1, 8))
    .option(
      '--no-baselines',
      'skip the no-teacher student (otherwise also a candidate for the kept student) and the random-forest baseline',
    )
    .option(
      '--no-ensemble',
      "do not try the mean-logit ensemble of the run's student CNNs (one model exported, a classifier pass per member) as the kept student",
    )
    .option(
      '--workers <n|auto>',
      'gradient worker threads for data-parallel student training on wasm/cpu, or auto: 2 when the batch is >= 32 and the machine has 2+ cores with one free (load average), else 1 (default auto)',
      (value: string) => (value === 'auto' ? value : parseInteger('--workers', 1, 64)(value)),
    )
    .option(
      '--seed <n>',
      'seed for splits, initialisation and augmentation (default 1)',
      parseInteger('--seed', 0),
    )
    .option('--resume', 'continue the interrupted run in --out from its last checkpoint')
    .option(
      '--patience <n>',
      'early stop after this many epochs without validation gain (0 = off) (default 0)',
      parseInteger('--patience', 0),
    )
    .option(
      '--class-weights <mode>',
      'loss weights against label imbalance, on the hard and the distillation term: balanced (n / (3 n_label)), sqrt (its square root) or none (default sqrt)',
    )
    .option('--cache-dir <dir>', 'face crop cache folder (default ~/.cache/mask-edge/crops)')
    .option('--json', 'print the final metrics as one JSON object on stdout');
  addLabelOptions(command).action(async (opts) => {
    const { run } = await import('../../train/train-command.js');
    await run(opts);
  });
}
