import type { Command } from 'commander';
import { notYetAvailable } from '../main.js';

export function registerAlerts(program: Command): void {
  program
    .command('alerts')
    .description('subscribe to agent events and print one line per alert')
    .requiredOption('--broker <url>', 'MQTT broker URL, e.g. mqtt://127.0.0.1:1883')
    .action(async () => notYetAvailable('alerts'));
}
