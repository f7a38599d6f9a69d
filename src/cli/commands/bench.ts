import { type Command, InvalidArgumentError, Option } from 'commander';
import { commaList, parseInteger, parseNumber } from './option-parsers.js';

const intList = (name: string) => (value: string) => commaList(value).map(parseInteger(name, 1, 4096));

function parseOnly(value: string): 'detector' | 'classifier' {
  if (value === 'detector' || value === 'classifier') return value;
  throw new InvalidArgumentError(`--only must be detector or classifier, got '${value}'`);
}

export function registerBench(program: Command): void {
  program
    .command('bench')
    .description(
      'throughput and latency of the detector and classifier (fp32/int8, batch, threads, providers)',
    )
    .option('--json', 'print one JSON object')
    .option('--classifier <file>', 'fp32 classifier (default models/mask-classifier.onnx)')
    .option('--classifier-int8 <file>', 'int8 classifier (default models/mask-classifier.int8.onnx)')
    .option(
      '--detector <name|file>',
      'fp32 detector: a zoo name (ssd-mobilenet-v1-512, ssd-mobilenet-v1-384, ssd-mobilenet-v1-320, their -int8 versions, tiny-face-416, tiny-face-320) or an ONNX file (default ssd-mobilenet-v1-512)',
    )
    .option('--only <model>', 'measure only the detector or only the classifier', parseOnly)
    .option(
      '--detector-int8 <name|file>',
      "int8 detector: a zoo name or an ONNX file (default: --detector's INT8 zoo entry, e.g. ssd-mobilenet-v1-512-int8, if built)",
    )
    .option(
      '--providers <list>',
      'execution providers to measure, each on its own: tensorrt, cuda, webgpu, cpu, or auto (default auto: every one whose libraries or GPU adapter are present)',
      commaList,
    )
    .option('--device-id <n>', 'GPU index for cuda/tensorrt (default 0)', parseInteger('--device-id', 0, 64))
    .option(
      '--power-preference <p>',
      'WebGPU adapter: high-performance (default) or low-power',
      (value: string) => {
        if (value !== 'high-performance' && value !== 'low-power') {
          throw new InvalidArgumentError('expected high-performance or low-power');
        }
        return value;
      },
    )
    .option('--threads <list>', 'intra-op thread counts (default 1,2)', intList('--threads'))
    .option('--batch <list>', 'batch sizes (default 1,32)', intList('--batch'))
    // the option's name before it agreed with eval's --batch
    .addOption(
      new Option('--batches <list>', 'the same as --batch (older name)')
        .argParser(intList('--batches'))
        .hideHelp(),
    )
    .option(
      '--repeats <n>',
      'timed repeats per setting; the median is reported',
      parseInteger('--repeats', 1, 100),
      5,
    )
    .option('--spinning', 'let idle onnxruntime threads spin (default off, as the agent runs)')
    .option('--seconds <s>', 'seconds per repeat', parseNumber('--seconds', 0.01, 60), 0.4)
    .action(async ({ batch, batches, ...opts }) => {
      const { run } = await import('../../edge/bench/bench-command.js');
      await run({ ...opts, batches: batch ?? batches });
    });
}
