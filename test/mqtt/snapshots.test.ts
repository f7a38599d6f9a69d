/**
 * Snapshots over MQTT (real mosquitto): the JPEG is kept retained per camera and label, and with MQTT 5 it
 * names its event (user property event_id); the non-retained `<camera>/snapshot` topic is kept as before.
 */
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Logger } from '../../src/core/logger.js';
import { openMqttEventSink } from '../../src/edge/mqtt/open-event-sink.js';
import { MOSQUITTO_MISSING, type Mosquitto, startMosquitto } from '../helpers/mosquitto.js';
import { waitFor } from './mqtt-test-clients.js';
import { sampleDraft, sinkConfig } from './sink-config.js';

const quiet = new Logger({ level: 'error', json: true, sink: { write: () => undefined } });
let broker: Mosquitto | undefined;

beforeAll(async () => {
  broker = await startMosquitto();
  if (!broker) console.warn(MOSQUITTO_MISSING);
});
afterAll(async () => broker?.stop());

describe('snapshots over MQTT (mosquitto)', () => {
  it('retained per camera and label, linked to the event id', async (ctx) => {
    if (!broker) return ctx.skip();
    const sink = await openMqttEventSink(
      { ...sinkConfig(broker.url, {}, 'snap-dev'), snapshots: { enabled: true } },
      quiet,
    );
    const event = await sink.publishEvent({
      ...sampleDraft(7),
      has_snapshot: true,
      start_time: 1,
      end_time: null,
      top_score: 0.95,
    });
    const jpeg = Buffer.from([0xff, 0xd8, 0xff, 0xe0, 1, 2, 3, 0xff, 0xd9]);
    await sink.publishSnapshot('door', jpeg, {
      kind: 'face',
      eventId: event.id,
      trackId: 7,
      label: 'no_mask',
    });
    await sink.close();

    // A client connecting afterwards still gets the latest snapshot for door/no_mask, with its event id.
    const client = await mqtt.connectAsync(broker.url, { protocolVersion: 5 });
    const got: { topic: string; payload: Buffer; retain: boolean; props: Record<string, unknown> }[] = [];
    client.on('message', (topic, payload, packet) =>
      got.push({
        topic,
        payload,
        retain: packet.retain,
        props: (packet.properties?.userProperties ?? {}) as Record<string, unknown>,
      }),
    );
    await client.subscribeAsync('mask-edge/snap-dev/#', { qos: 1 });
    await waitFor(() => got.some((m) => m.topic.endsWith('/availability')));
    await new Promise((r) => setTimeout(r, 300));
    const retained = got.filter((m) => m.topic.endsWith('snapshot'));
    expect(retained.map((m) => m.topic)).toEqual(['mask-edge/snap-dev/door/no_mask/snapshot']);
    expect(retained[0]!.retain).toBe(true);
    expect(retained[0]!.payload.equals(jpeg)).toBe(true);
    expect(retained[0]!.props).toMatchObject({ event_id: event.id, track_id: '7', label: 'no_mask' });
    await client.endAsync();
  });
});
