/**
 * The MQTT side of the agent wiring, as one piece: `openSink` opens the MQTT sink and remembers it so
 * `startHealth` can serve its delivery figures (queued/dropped/published events, broker connection) on
 * /metrics and /healthz. Spread into `AgentWiring`: `{ schema, logger, ...mqttAgentParts() }`.
 */
import type { Logger } from '../../core/logger.js';
import type { AgentConfig } from '../config/agent-config.js';
import type { RuntimeStats } from '../events/event-types.js';
import type { MqttEventSink } from '../mqtt/mqtt-event-sink.js';
import { openMqttEventSink } from '../mqtt/open-event-sink.js';
import { type HealthServer, startHealthServer } from './health-server.js';
import type { LiveSource } from './live-contract.js';

export function mqttAgentParts() {
  let sink: MqttEventSink | undefined;
  return {
    async openSink(config: AgentConfig, logger: Logger): Promise<MqttEventSink> {
      sink = await openMqttEventSink(config, logger, process.env, { waitMs: 0 });
      return sink;
    },
    async startHealth(
      config: AgentConfig,
      probes: { stats: () => RuntimeStats; healthy: () => boolean; live?: LiveSource; logger: Logger },
    ): Promise<HealthServer> {
      if (!config.health.enabled) return { url: '', close: async () => undefined };
      const current = sink;
      return startHealthServer(config.health, {
        ...probes,
        ...(current ? { delivery: () => current.deliveryStats() } : {}),
      });
    },
  };
}
