/**
 * Child process for kill/restart tests: opens the real MQTT sink from a JSON config (argv[2]), publishes
 * `count` events (argv[3], 0 = forever) every `everyMs` (argv[4]) and prints `durable <seq> <id>` once each
 * is in the outbox. With count > 0 it waits until the outbox is drained, closes cleanly and prints `done`.
 */
import { Logger } from '../../src/core/logger.js';
import { openMqttEventSink, type SinkConfig } from '../../src/edge/mqtt/open-event-sink.js';

const config = JSON.parse(process.argv[2]!) as SinkConfig;
const count = Number(process.argv[3] ?? 0);
const everyMs = Number(process.argv[4] ?? 50);
const logger = new Logger({ level: 'warn', json: true });
const sink = await openMqttEventSink(config, logger);
process.stdout.write('ready\n');
for (let i = 0; count === 0 || i < count; i++) {
  const event = await sink.publishEvent({
    camera: 'door',
    type: 'new',
    trackId: i,
    label: i % 2 ? 'no_mask' : 'incorrect',
    score: 0.9,
    box: [10, 10, 50, 60],
    frame: { width: 640, height: 480 },
    model: { name: 'test-model', version: '1' },
  });
  process.stdout.write(`durable ${event.seq} ${event.id}\n`);
  await new Promise((r) => setTimeout(r, everyMs));
}
await sink.drained(60_000);
await sink.close();
process.stdout.write('done\n');
