import type { Command } from 'commander';

export function registerInstallAgent(program: Command): void {
  program
    .command('install-agent')
    .description('install the systemd unit, config and models for the agent, then print the next steps')
    .option('--root <dir>', 'install under this root instead of / (staging tree, packaging)', '/')
    .option('--dry-run', 'print what would be written, write nothing')
    .option('--force', 'replace an existing /etc/mask-edge/agent.yaml')
    .action(async (opts) => {
      const { run } = await import('../../edge/install/install-agent-command.js');
      await run(opts);
    });
}
