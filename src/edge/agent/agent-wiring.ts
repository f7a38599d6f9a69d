/**
 * The production wiring of `mask-edge agent`: the full agent config (pipeline + MQTT + outbox + health +
 * logging sections), the MQTT event sink with its on-disk outbox, and the /healthz + /metrics endpoint.
 */
import { Logger } from '../../core/logger.js';
import { type AgentConfig, agentConfigSchema } from '../config/agent-config.js';
import { mqttAgentParts } from '../health/agent-health.js';
import type { AgentWiring } from './agent-command.js';
import { verifyBrokerSecrets } from './config-check.js';

/** A fresh wiring per run (the MQTT parts share the sink they open with the health endpoint). */
export function agentWiring(): AgentWiring<AgentConfig> {
  return {
    schema: agentConfigSchema,
    logger: (config) =>
      new Logger({
        level: config.logging.level,
        ...(config.logging.json === undefined ? {} : { json: config.logging.json }),
      }),
    checkConfig: (config) => verifyBrokerSecrets(config.mqtt),
    ...mqttAgentParts(),
  };
}
