import type { Command } from 'commander';
import { notYetAvailable } from '../main.js';

export function registerDemo(program: Command): void {
  program
    .command('demo')
    .description('run the agent on bundled photos with an embedded broker and print alerts (stops by itself)')
    .action(async () => notYetAvailable('demo'));
}
