import { type Command, Option } from 'commander';
import { addLabelOptions, collect, parseInteger, parseNumber } from './option-parsers.js';

export function registerExport(program: Command): void {
  const command = program.command('export');
  command
    .description('convert a trained student to verified ONNX (fp32, and static INT8 with --int8)')
    .requiredOption('--model <path>', 'training run directory or tfjs checkpoint (folder or model.json)')
    .option('--out <dir>', 'output folder', 'models/export')
    .option('--int8', 'also write a statically quantized INT8 (QDQ) model')
    .option(
      '--calib <dir>',
      'calibration images (a dataset folder; default: the run val split); repeatable',
      collect,
    )
    .option('--calib-count <n>', 'calibration faces', parseInteger('--calib-count', 1), 300)
    .option(
      '--eval-count <n>',
      'most faces used to measure fp32 vs int8 accuracy',
      parseInteger('--eval-count', 1),
      2000,
    )
    .option(
      '--verify-count <n>',
      'real images for the ORT-vs-tfjs parity check',
      parseInteger('--verify-count', 1),
      64,
    )
    .option(
      '--max-drop <points>',
      'largest accuracy drop (percentage points) int8 may have',
      parseNumber('--max-drop', 0),
      1,
    )
    .option('--force', 'write the int8 model even when it misses a quality bound')
    .addOption(
      new Option('--method <name>', 'activation calibration (auto tries all, keeps the closest to fp32)')
        .choices(['auto', 'minmax', 'percentile', 'entropy'])
        .default('auto'),
    )
    .addOption(
      new Option(
        '--activations <type>',
        'activation type: uint8 (ONNX Runtime CPU) or int8 (symmetric, TensorRT)',
      )
        .choices(['uint8', 'int8'])
        .default('uint8'),
    )
    .option('--cache-dir <dir>', 'face crop cache folder');
  // --calib folders: label names as for every command that reads data (a run's own data uses run.json's settings)
  addLabelOptions(command).action(async (opts) => {
    const { run } = await import('../../export/export-command.js');
    await run(opts);
  });
}
