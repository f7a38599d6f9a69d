import type { Command } from 'commander';
import { parseInteger, parseNumber } from './option-parsers.js';

export function registerDemo(program: Command): void {
  program
    .command('demo')
    .description('run the agent on bundled photos with an embedded broker and print alerts (stops by itself)')
    .option('--seconds <n>', 'how long to run', parseInteger('--seconds', 1, 600), 20)
    .option('--out <dir>', 'folder for annotated frames, outbox and config (default: a new temp folder)')
    .option('--detector <file>', 'face detector ONNX (default: bundled models/face-detector.onnx)')
    .option('--classifier <file>', 'mask classifier ONNX (default: bundled models/mask-classifier.int8.onnx)')
    .option('--fps <n>', 'photos per second', parseNumber('--fps', 0.1, 30), 2)
    .action(async (opts) => {
      const { run } = await import('../../edge/demo/demo-command.js');
      await run(opts);
    });
}
