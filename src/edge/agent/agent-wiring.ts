/**
 * The production wiring of `mask-edge agent`: the full agent config (pipeline + MQTT + outbox + health +
 * logging sections) and the MQTT event sink with its on-disk outbox.
 */
import { Logger } from '../../core/logger.js';
import { type AgentConfig, agentConfigSchema } from '../config/agent-config.js';
import { openMqttEventSink } from '../mqtt/open-event-sink.js';
import type { AgentWiring } from './agent-command.js';

export const agentWiring: AgentWiring<AgentConfig> = {
  schema: agentConfigSchema,
  logger: (config) =>
    new Logger({
      level: config.logging.level,
      ...(config.logging.json === undefined ? {} : { json: config.logging.json }),
    }),
  openSink: (config, logger) => openMqttEventSink(config, logger),
};
