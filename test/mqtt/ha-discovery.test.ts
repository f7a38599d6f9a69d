/**
 * Home Assistant MQTT discovery: the config messages (pure), then against a real mosquitto: retained
 * configs under homeassistant/<component>/<node>/<object>/config seen by an outside client, their state
 * topics carrying what the agent publishes, and removal (empty retained payload) of a camera dropped from
 * the config or of everything when discovery is turned off.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Logger } from '../../src/core/logger.js';
import { homeAssistantConfigSchema } from '../../src/edge/config/home-assistant-config.js';
import { DISCOVERY_STATE_FILE } from '../../src/edge/mqtt/ha-announcer.js';
import { discoveryMessages } from '../../src/edge/mqtt/ha-discovery.js';
import { openMqttEventSink, type SinkConfig } from '../../src/edge/mqtt/open-event-sink.js';
import {
  MOSQUITTO_MISSING,
  MOSQUITTO_SUB_BIN,
  type Mosquitto,
  startMosquitto,
} from '../helpers/mosquitto.js';
import { collect, mosquittoSub } from './mqtt-test-clients.js';
import { sinkConfig } from './sink-config.js';

const quiet = new Logger({ level: 'error', json: true, sink: { write: () => undefined } });
let broker: Mosquitto | undefined;

beforeAll(async () => {
  broker = await startMosquitto();
  if (!broker) console.warn(MOSQUITTO_MISSING);
});
afterAll(async () => broker?.stop());

describe('discovery messages', () => {
  it('a mask-alert binary sensor and a count sensor per label per camera, one device, agent availability', () => {
    const messages = discoveryMessages({
      discoveryPrefix: 'homeassistant',
      topicPrefix: 'mask-edge',
      device: 'gate.1',
      cameras: ['door', 'hall'],
      version: '0.1.0',
    });
    expect(messages.map((m) => m.topic)).toEqual([
      'homeassistant/binary_sensor/gate_1/door_mask_alert/config',
      'homeassistant/sensor/gate_1/door_correct_count/config',
      'homeassistant/sensor/gate_1/door_incorrect_count/config',
      'homeassistant/sensor/gate_1/door_no_mask_count/config',
      'homeassistant/binary_sensor/gate_1/hall_mask_alert/config',
      'homeassistant/sensor/gate_1/hall_correct_count/config',
      'homeassistant/sensor/gate_1/hall_incorrect_count/config',
      'homeassistant/sensor/gate_1/hall_no_mask_count/config',
    ]);
    const ids = messages.map((m) => m.config.unique_id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const m of messages) {
      expect(m.config.availability_topic).toBe('mask-edge/gate.1/availability');
      expect(m.config.device).toMatchObject({ identifiers: ['mask_edge_gate_1'], sw_version: '0.1.0' });
    }
    expect(messages[0]!.config).toMatchObject({
      state_topic: 'mask-edge/gate.1/door/state',
      device_class: 'problem',
      payload_on: 'ON',
    });
    expect(messages[3]!.config).toMatchObject({
      state_topic: 'mask-edge/gate.1/door/state',
      value_template: '{{ value_json.counts.no_mask | int(0) }}',
      state_class: 'measurement',
    });
  });
});

describe('discovery against mosquitto', () => {
  const haConfig = (over: Record<string, unknown> = {}) => homeAssistantConfigSchema.parse(over);

  it('announces retained configs, then removes a dropped camera, then everything when turned off', async (ctx) => {
    if (!broker || !MOSQUITTO_SUB_BIN) return ctx.skip();
    const base = sinkConfig(broker.url, {}, 'ha-dev');
    const cams = (...ids: string[]) => ids.map((id) => ({ id, enabled: true }));
    const run = async (config: SinkConfig, counts?: Record<string, number>) => {
      const sink = await openMqttEventSink(config, quiet);
      await sink.discovery!.settled();
      if (counts) await sink.publishState('door', counts);
      await sink.close();
      return sink;
    };

    // 1st run: two cameras (one disabled camera is not announced).
    const first = await run(
      {
        ...base,
        homeAssistant: haConfig(),
        cameras: [...cams('door', 'hall'), { id: 'off', enabled: false }],
      },
      { no_mask: 1, correct: 2 },
    );
    expect(first.discovery!.removed).toEqual([]);
    const live = await collect(broker.url, ['homeassistant/#']);
    await live.waitFor(() => live.messages.length === 8);
    expect(live.messages.every((m) => m.retain)).toBe(true);
    expect(live.messages.some((m) => m.topic.includes('/off_'))).toBe(false);
    // An outside client reads the retained config; its state topic holds what the agent published.
    const [raw] = await mosquittoSub(
      MOSQUITTO_SUB_BIN,
      broker.port,
      'homeassistant/binary_sensor/ha-dev/door_mask_alert/config',
    );
    const config = JSON.parse(raw!);
    expect(config).toMatchObject({
      name: 'door mask alert',
      unique_id: 'mask_edge_ha-dev_door_mask_alert',
      availability_topic: 'mask-edge/ha-dev/availability',
      device: { identifiers: ['mask_edge_ha-dev'], name: 'mask-edge ha-dev' },
    });
    const [state] = await mosquittoSub(MOSQUITTO_SUB_BIN, broker.port, config.state_topic);
    expect(JSON.parse(state!)).toMatchObject({ camera: 'door', counts: { no_mask: 1, correct: 2 } });
    const [availability] = await mosquittoSub(MOSQUITTO_SUB_BIN, broker.port, config.availability_topic);
    expect(availability).toBe('offline'); // the sink was closed cleanly
    const stateFile = join(base.outbox.dir!, DISCOVERY_STATE_FILE);
    expect(JSON.parse(readFileSync(stateFile, 'utf8')).topics).toHaveLength(8);

    // 2nd run (same state folder): the hall camera is gone from the config.
    const second = await run({ ...base, homeAssistant: haConfig(), cameras: cams('door') });
    const announced = live.messages.slice(0, 8).map((m) => m.topic);
    const hallTopics = announced.filter((t) => t.includes('/hall_'));
    expect(hallTopics).toHaveLength(4);
    expect(second.discovery!.removed.sort()).toEqual(hallTopics.sort());
    await live.waitFor(() => live.messages.filter((m) => m.payload === '').length === 4);
    const fresh = await collect(broker.url, ['homeassistant/#']);
    await fresh.waitFor(() => fresh.messages.length >= 4);
    await new Promise((r) => setTimeout(r, 300));
    expect(fresh.messages.map((m) => m.topic).sort()).toEqual(
      announced.filter((t) => t.includes('/door_')).sort(),
    );
    await fresh.close();

    // 3rd run: discovery off removes what this device announced.
    const third = await run({
      ...base,
      homeAssistant: haConfig({ discovery: false }),
      cameras: cams('door'),
    });
    expect(third.discovery!.removed).toHaveLength(4);
    const after = await collect(broker.url, ['homeassistant/#']);
    await new Promise((r) => setTimeout(r, 500));
    expect(after.messages).toEqual([]);
    expect(JSON.parse(readFileSync(stateFile, 'utf8')).topics).toEqual([]);
    await after.close();
    await live.close();
  });

  it('a custom discovery prefix is used', async (ctx) => {
    if (!broker) return ctx.skip();
    const sink = await openMqttEventSink(
      {
        ...sinkConfig(broker.url, {}, 'ha-prefix'),
        homeAssistant: haConfig({ discoveryPrefix: 'ha/test' }),
        cameras: [{ id: 'gate', enabled: true }],
      },
      quiet,
    );
    await sink.discovery!.settled();
    const sub = await collect(broker.url, ['ha/test/+/ha-prefix/+/config']);
    await sub.waitFor(() => sub.messages.length === 4);
    expect(sub.messages.map((m) => m.topic)).toContain(
      'ha/test/binary_sensor/ha-prefix/gate_mask_alert/config',
    );
    await sub.close();
    await sink.close();
  });
});
