import type { Command } from 'commander';
import { notYetAvailable } from '../main.js';

export function registerAgent(program: Command): void {
  program
    .command('agent')
    .description('run the device agent: capture frames, detect faces, classify masks, publish MQTT events')
    .option('--config <file>', 'agent YAML config', '/etc/mask-edge/agent.yaml')
    .option('--check-config', 'validate the config and exit')
    .action(async () => notYetAvailable('agent'));
}
