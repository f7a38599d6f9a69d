import type { Command } from 'commander';
import { parseInteger, parseNumber } from './option-parsers.js';

export function registerDemo(program: Command): void {
  program
    .command('demo')
    .description(
      'run the agent on the bundled sample photos with an embedded broker, print its reports and check them (stops by itself)',
    )
    .option(
      '--seconds <n>',
      'stop after this long even if photos remain',
      parseInteger('--seconds', 1, 600),
      60,
    )
    .option('--out <dir>', 'folder for annotated frames, outbox and config (default: a new temp folder)')
    .option('--detector <file>', "face detector ONNX file (default: the agent's default zoo detector)")
    .option('--classifier <file>', 'mask classifier ONNX (default: bundled models/mask-classifier.int8.onnx)')
    .option('--fps <n>', 'photos per second', parseNumber('--fps', 0.1, 30), 1)
    .option(
      '--port <n>',
      'port of the embedded MQTT broker (default: a free one)',
      parseInteger('--port', 0, 65535),
    )
    .action(async (opts) => {
      const { run } = await import('../../edge/demo/demo-command.js');
      await run(opts);
    });
}
