import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Logger } from '../../src/core/logger.js';
import { openMqttEventSink } from '../../src/edge/mqtt/open-event-sink.js';
import { MOSQUITTO_MISSING, type Mosquitto, startMosquitto } from '../helpers/mosquitto.js';
import { sampleDraft, sinkConfig } from './sink-config.js';

const lines: string[] = [];
const captured = new Logger({ level: 'debug', json: true, sink: { write: (l) => lines.push(l) } });
let broker: Mosquitto | undefined;
beforeAll(async () => {
  broker = await startMosquitto({ users: { edge: 'right-password' } });
  if (!broker) console.warn(MOSQUITTO_MISSING);
});
afterAll(async () => broker?.stop());

describe.each([5, '3.1.1'] as const)(
  'broker credentials (mosquitto with a password file, MQTT %s)',
  (protocolVersion) => {
    it('right user and password deliver; a wrong password stops the start with E_BROKER (fatal), never logged', async (ctx) => {
      if (!broker) return ctx.skip();
      const good = await openMqttEventSink(
        sinkConfig(broker.url, { protocolVersion, username: 'edge', password: 'right-password' }, 'auth-ok'),
        captured,
      );
      await good.publishEvent(sampleDraft(1));
      expect(await good.drained(10_000)).toBe(true);
      await good.close();
      const bad = sinkConfig(broker.url, { protocolVersion }, 'auth-bad');
      await expect(
        openMqttEventSink(bad, captured, {
          MASK_EDGE_MQTT_USERNAME: 'edge',
          MASK_EDGE_MQTT_PASSWORD: 'wrong-password',
        }),
      ).rejects.toMatchObject({ code: 'E_BROKER', detail: { url: broker.url, fatal: true } });
      const log = lines.join('');
      expect(log).not.toContain('right-password');
      expect(log).not.toContain('wrong-password');
    });
  },
);
