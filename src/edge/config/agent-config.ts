/**
 * The whole agent config file: PIPELINE's sections (models, detection, tracking, cameras, annotate,
 * snapshots, stats) plus device, mqtt, outbox, health, logging and homeAssistant. Strict: unknown keys are errors, and
 * every problem is listed with its path (core `validateConfig`).
 */
import { homedir, hostname } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { loadConfigFile, validateConfig } from '../../core/config-loader.js';
import { healthConfigSchema } from './health-config.js';
import { homeAssistantConfigSchema } from './home-assistant-config.js';
import { mqttConfigSchema } from './mqtt-config.js';
import { pipelineConfigShape } from './pipeline-config.js';

const TOPIC_LEVEL = /^[A-Za-z0-9_.-]{1,64}$/;

export const deviceSchema = z
  .object({
    id: z
      .string()
      .regex(TOPIC_LEVEL, 'letters, digits, _ . - only (it is an MQTT topic level)')
      .optional()
      .describe('device id in topics and events (default: the host name)'),
  })
  .strict();

export const outboxConfigSchema = z
  .object({
    dir: z
      .string()
      .min(1)
      .max(4096)
      .optional()
      .describe(
        'outbox folder (default $STATE_DIRECTORY/outbox under systemd, else ~/.local/state/mask-edge/outbox)',
      ),
    maxEvents: z
      .number()
      .int()
      .min(1)
      .max(10_000_000)
      .default(100_000)
      .describe('events kept while the broker is unreachable; when full the OLDEST is dropped and counted'),
    segmentBytes: z
      .number()
      .int()
      .min(4096)
      .max(1024 * 1024 * 1024)
      .default(4 * 1024 * 1024)
      .describe('size at which a new outbox segment file starts, 4096 bytes to 1 GiB'),
  })
  .strict();

export const loggingSchema = z
  .object({
    level: z.enum(['debug', 'info', 'warn', 'error']).default('info').describe('least severity logged'),
    json: z
      .boolean()
      .optional()
      .describe('JSON lines (default when stderr is not a terminal, e.g. under journald)'),
  })
  .strict();

export const agentConfigSchema = z
  .object({
    device: deviceSchema.prefault({}).describe('this device'),
    mqtt: mqttConfigSchema.prefault({}).describe('MQTT broker connection and topics'),
    outbox: outboxConfigSchema
      .prefault({})
      .describe('on-disk queue of events not yet acknowledged by the broker'),
    health: healthConfigSchema.prefault({}).describe('local /healthz and Prometheus /metrics endpoint'),
    logging: loggingSchema.prefault({}).describe('log output'),
    homeAssistant: homeAssistantConfigSchema
      .prefault({})
      .describe('Home Assistant MQTT discovery (on by default)'),
    ...pipelineConfigShape,
  })
  .strict();

export type AgentConfig = z.infer<typeof agentConfigSchema>;

export function parseAgentConfig(raw: unknown, source = 'agent config'): AgentConfig {
  return validateConfig(agentConfigSchema, raw, source);
}

export function loadAgentConfig(file: string): AgentConfig {
  return loadConfigFile(agentConfigSchema, file);
}

/** The device id: config, else the host name made safe for a topic level. */
export function resolveDeviceId(config: Pick<AgentConfig, 'device'>, host = hostname()): string {
  if (config.device.id) return config.device.id;
  const safe = host.replace(/[^A-Za-z0-9_.-]/g, '-').slice(0, 64);
  return safe || 'mask-edge-device';
}

/** The outbox folder: config, else systemd's StateDirectory, else the user's state folder. */
export function resolveOutboxDir(
  config: Pick<AgentConfig, 'outbox'>,
  env: NodeJS.ProcessEnv = process.env,
): string {
  if (config.outbox.dir) return config.outbox.dir;
  const stateDir = env.STATE_DIRECTORY?.split(':')[0];
  if (stateDir) return join(stateDir, 'outbox');
  const base = env.XDG_STATE_HOME || join(homedir(), '.local', 'state');
  return join(base, 'mask-edge', 'outbox');
}
