import type { Command } from 'commander';
import { commaList, parseInteger } from './option-parsers.js';

export function registerAlerts(program: Command): void {
  program
    .command('alerts')
    .description('subscribe to agent events and print one line per alert (Ctrl-C to stop)')
    .option(
      '--broker <url>',
      'MQTT broker: a URL (mqtt://, mqtts://, ws://, wss://) or host[:port]',
      'mqtt://localhost:1883',
    )
    .option('--device <id>', 'only this device (default: all)')
    .option('--camera <id>', 'only this camera (default: all)')
    .option(
      '--labels <list>',
      "labels to show, comma-separated, or 'all' (default: incorrect,no_mask)",
      commaList,
    )
    .option('--types <list>', 'event types to show: new,update,end (default: new,update)', commaList)
    .option('--json', 'print each alert as one JSON line (the event as published)')
    .option('--group <name>', 'MQTT 5 shared subscription: consumers in the same group split the alerts')
    .option('--prefix <topic>', 'topic prefix the agents use', 'mask-edge')
    .option(
      '--protocol <version>',
      'MQTT protocol: auto (5, falling back to 3.1.1 where the broker refuses 5), 5 or 3.1.1',
      'auto',
    )
    .option('--username <name>', 'broker user name (password from MASK_EDGE_MQTT_PASSWORD)')
    .option('--ca <file>', 'PEM CA file for mqtts:// / wss://')
    .option('--count <n>', 'exit after this many alerts', parseInteger('--count', 1))
    .action(async (opts) => {
      const { run } = await import('../../edge/alerts/alerts-command.js');
      await run(opts);
    });
}
