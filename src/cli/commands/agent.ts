import type { Command } from 'commander';

export interface AgentOptions {
  config: string;
  checkConfig?: boolean;
}

export function registerAgent(program: Command): void {
  program
    .command('agent')
    .description('run the device agent: capture frames, detect faces, classify masks, publish MQTT events')
    .option('--config <file>', 'agent YAML config', '/etc/mask-edge/agent.yaml')
    .option(
      '--check-config',
      'validate the config (every problem listed with its path) and the model files, then exit',
    )
    .action(async (opts: AgentOptions) => {
      const { run } = await import('../../edge/agent/agent-command.js');
      await run(opts);
    });
}
