import type { Command } from 'commander';
import { notYetAvailable } from '../main.js';

export function registerInstallAgent(program: Command): void {
  program
    .command('install-agent')
    .description('install the systemd unit, config and models for the agent')
    .option('--root <dir>', 'install under this root instead of /', '/')
    .option('--dry-run', 'print what would be written')
    .action(async () => notYetAvailable('install-agent'));
}
