import type { Command } from 'commander';
import { notYetAvailable } from '../main.js';

export function registerBench(program: Command): void {
  program
    .command('bench')
    .description(
      'throughput and latency of the detector and classifier (fp32/int8, batch, threads, providers)',
    )
    .option('--json', 'print one JSON object')
    .action(async () => notYetAvailable('bench'));
}
