import { Command } from 'commander';
import { registerAgent } from './commands/agent.js';
import { registerAlerts } from './commands/alerts.js';
import { registerBench } from './commands/bench.js';
import { registerData } from './commands/data.js';
import { registerDemo } from './commands/demo.js';
import { registerEval } from './commands/eval.js';
import { registerExport } from './commands/export.js';
import { registerInstallAgent } from './commands/install-agent.js';
import { registerTrain } from './commands/train.js';
import { registerTrainDetector } from './commands/train-detector.js';
import { registerTrainVerifier } from './commands/train-verifier.js';
import { VERSION } from './version.js';

/** Every command of the product, in help order. Each file declares options only; work is imported lazily. */
const COMMANDS = [
  registerDemo,
  registerData,
  registerTrain,
  registerTrainVerifier,
  registerTrainDetector,
  registerExport,
  registerEval,
  registerBench,
  registerAgent,
  registerAlerts,
  registerInstallAgent,
] as const;

/** Builds the commander program without running it (testable: parse with `{ from: 'user' }`). */
export function buildProgram(): Command {
  const program = new Command('mask-edge')
    .description(
      'Face-mask classification from workstation to camera fleet. Labels: correct, incorrect, no_mask.',
    )
    .version(VERSION, '-V, --version')
    .exitOverride()
    .showHelpAfterError('(run with --help for usage)')
    .configureOutput({ outputError: (str, write) => write(str) });
  for (const register of COMMANDS) register(program);
  return program;
}
