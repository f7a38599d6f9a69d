import type { Command } from 'commander';

export interface AgentOptions {
  config: string;
  checkConfig?: boolean;
}

interface AgentFlags {
  config: string;
  checkConfig?: boolean | string;
}

export function registerAgent(program: Command): void {
  program
    .command('agent')
    .description('run the device agent: capture frames, detect faces, classify masks, publish MQTT events')
    .option('--config <file>', 'agent YAML config', '/etc/mask-edge/agent.yaml')
    .option(
      '--check-config [file]',
      'validate the config (every problem listed with its path) and the model files, then exit; ' +
        'a file given here is the config to check',
    )
    .action(async (flags: AgentFlags) => {
      const opts: AgentOptions =
        typeof flags.checkConfig === 'string'
          ? { config: flags.checkConfig, checkConfig: true }
          : { config: flags.config, ...(flags.checkConfig ? { checkConfig: true } : {}) };
      const { run } = await import('../../edge/agent/agent-command.js');
      await run(opts);
    });
}
