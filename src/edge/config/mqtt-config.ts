/**
 * The `mqtt` section of the agent config: broker URL (scheme picks the transport), protocol version,
 * topic prefix, credentials and TLS material. Secrets may instead come from the environment or systemd
 * credentials (see `mqtt/mqtt-credentials.ts`); they are never logged.
 */
import { z } from 'zod';
import { stripControlCharacters } from '../../core/secret-text.js';

export const MQTT_SCHEMES = ['mqtt', 'mqtts', 'ws', 'wss'] as const;
export type MqttScheme = (typeof MQTT_SCHEMES)[number];

/**
 * A topic level or prefix without wildcards, leading/trailing slashes or empty levels, at most 128
 * characters (MQTT allows 65535 bytes for a whole topic; a long prefix only wastes every message), and not
 * starting with `$` (`$SYS/...` topics are the broker's own: every publish there is refused).
 */
const topicPrefix = z
  .string()
  .min(1)
  .max(128)
  .regex(/^[^#+/\s]+(\/[^#+/\s]+)*$/, 'no wildcards (+ #), spaces, or leading/trailing/double slashes')
  .refine((v) => !v.startsWith('$'), 'must not start with $ ($SYS/... topics belong to the broker)')
  .refine((v) => stripControlCharacters(v) === v, 'no control characters');

export const brokerUrlSchema = z
  .string()
  .max(2048)
  .refine(
    (value) => {
      try {
        const url = new URL(value);
        return (
          (MQTT_SCHEMES as readonly string[]).includes(url.protocol.replace(/:$/, '')) && url.hostname !== ''
        );
      } catch {
        return false;
      }
    },
    `must be a URL with scheme ${MQTT_SCHEMES.join(', ')} and a host, e.g. mqtt://127.0.0.1:1883`,
  )
  .refine((value) => {
    try {
      return new URL(value).password === '';
    } catch {
      return true;
    }
  }, 'no password in the URL (it would end up in logs): use mqtt.password, MASK_EDGE_MQTT_PASSWORD or the mqtt-password credential');

export const tlsSchema = z
  .object({
    ca: z
      .string()
      .min(1)
      .max(4096)
      .optional()
      .describe('PEM file of the CA that signed the broker certificate'),
    cert: z.string().min(1).max(4096).optional().describe('PEM client certificate (mutual TLS)'),
    key: z
      .string()
      .min(1)
      .max(4096)
      .optional()
      .describe('PEM private key of the client certificate (or systemd credential mqtt-tls-key)'),
    rejectUnauthorized: z
      .boolean()
      .default(true)
      .describe('verify the broker certificate (only disable for a lab broker)'),
    servername: z
      .string()
      .min(1)
      .max(253)
      .optional()
      .describe('TLS SNI / expected host name when it differs from the URL'),
  })
  .strict()
  .refine((t) => (t.cert === undefined) === (t.key === undefined), {
    message: 'cert and key go together',
    path: ['key'],
  });

export const mqttConfigSchema = z
  .object({
    url: brokerUrlSchema
      .default('mqtt://127.0.0.1:1883')
      .describe('broker URL; the scheme selects the transport: mqtt (TCP), mqtts (TLS), ws, wss'),
    protocolVersion: z
      .union([z.literal(5), z.literal('3.1.1')])
      .default(5)
      .describe('MQTT protocol: 5 (default) or "3.1.1" for older brokers'),
    topicPrefix: topicPrefix.default('mask-edge').describe('first topic level(s): <prefix>/<device>/...'),
    clientId: z.string().min(1).max(128).optional().describe('MQTT client id (default mask-edge-<device>)'),
    username: z
      .string()
      .min(1)
      .max(1024)
      .optional()
      .describe('user name (or MASK_EDGE_MQTT_USERNAME / credential mqtt-username)'),
    password: z
      .string()
      .min(1)
      .max(4096)
      .optional()
      .describe('password; prefer MASK_EDGE_MQTT_PASSWORD or the systemd credential mqtt-password'),
    tls: tlsSchema.optional().describe('TLS material for mqtts:// and wss:// (CA, client certificate)'),
    keepaliveSeconds: z.number().int().min(0).max(65535).default(30).describe('MQTT keep-alive'),
    connectTimeoutSeconds: z
      .number()
      .positive()
      .max(300)
      .default(15)
      .describe('give up one connect attempt after this'),
    reconnectSeconds: z
      .number()
      .min(0.1)
      .max(600)
      .default(2)
      .describe('wait between reconnect attempts, 0.1-600'),
    maxInflight: z
      .number()
      .int()
      .min(1)
      .max(1000)
      .default(16)
      .describe('events sent but not yet acknowledged (PUBACK) at once; order is kept'),
  })
  .strict();

export type MqttConfig = z.infer<typeof mqttConfigSchema>;
export type TlsConfig = z.infer<typeof tlsSchema>;
