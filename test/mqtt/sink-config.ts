import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { outboxConfigSchema } from '../../src/edge/config/agent-config.js';
import { mqttConfigSchema } from '../../src/edge/config/mqtt-config.js';
import type { SinkConfig } from '../../src/edge/mqtt/open-event-sink.js';

/** A sink config for tests: a fresh outbox folder, fast reconnects. */
export function sinkConfig(url: string, mqtt: Record<string, unknown> = {}, device = 'dev1'): SinkConfig {
  return {
    device: { id: device },
    mqtt: mqttConfigSchema.parse({ url, reconnectSeconds: 0.3, connectTimeoutSeconds: 5, ...mqtt }),
    outbox: outboxConfigSchema.parse({ dir: join(mkdtempSync(join(tmpdir(), 'sink-')), 'outbox') }),
  };
}

export const sampleDraft = (trackId: number) => ({
  camera: 'door',
  type: 'new' as const,
  trackId,
  label: 'no_mask' as const,
  score: 0.93,
  box: [12, 34, 56, 78] as [number, number, number, number],
  frame: { width: 640, height: 480 },
  model: { name: 'mask-classifier', version: '1.0.0' },
});
