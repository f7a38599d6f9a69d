/**
 * Broker secrets and TLS material, from (first match wins): the environment (MASK_EDGE_MQTT_USERNAME,
 * MASK_EDGE_MQTT_PASSWORD), the config file, then systemd credentials (`LoadCredential=` /
 * `SetCredentialEncrypted=` put files in $CREDENTIALS_DIRECTORY: mqtt-username, mqtt-password, mqtt-ca,
 * mqtt-tls-cert, mqtt-tls-key). Values are read here and never logged.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { MaskEdgeError } from '../../core/errors.js';
import type { MqttConfig } from '../config/mqtt-config.js';

export interface BrokerSecrets {
  username?: string;
  password?: string;
  ca?: Buffer;
  cert?: Buffer;
  key?: Buffer;
  /** Where each secret came from (for logs: names only, never values). */
  sources: Record<string, 'env' | 'config' | 'credential'>;
}

export const CREDENTIAL_NAMES = {
  username: 'mqtt-username',
  password: 'mqtt-password',
  ca: 'mqtt-ca',
  cert: 'mqtt-tls-cert',
  key: 'mqtt-tls-key',
} as const;

export function resolveBrokerSecrets(
  config: Pick<MqttConfig, 'username' | 'password' | 'tls'>,
  env: NodeJS.ProcessEnv = process.env,
): BrokerSecrets {
  const sources: BrokerSecrets['sources'] = {};
  const credDir = env.CREDENTIALS_DIRECTORY;
  const credential = (name: string): Buffer | undefined => {
    if (!credDir) return undefined;
    const file = join(credDir, name);
    return existsSync(file) ? readFileSync(file) : undefined;
  };
  const text = (key: 'username' | 'password', envName: string): string | undefined => {
    if (env[envName]) {
      sources[key] = 'env';
      return env[envName];
    }
    if (config[key]) {
      sources[key] = 'config';
      return config[key];
    }
    const cred = credential(CREDENTIAL_NAMES[key]);
    if (cred) {
      sources[key] = 'credential';
      return cred.toString('utf8').replace(/\r?\n$/, '');
    }
    return undefined;
  };
  const pem = (key: 'ca' | 'cert' | 'key'): Buffer | undefined => {
    const path = config.tls?.[key];
    if (path) {
      sources[key] = 'config';
      return readTlsFile(path, key);
    }
    const cred = credential(CREDENTIAL_NAMES[key]);
    if (cred) sources[key] = 'credential';
    return cred;
  };
  const secrets: BrokerSecrets = { sources };
  const username = text('username', 'MASK_EDGE_MQTT_USERNAME');
  const password = text('password', 'MASK_EDGE_MQTT_PASSWORD');
  if (username !== undefined) secrets.username = username;
  if (password !== undefined) secrets.password = password;
  for (const key of ['ca', 'cert', 'key'] as const) {
    const value = pem(key);
    if (value) secrets[key] = value;
  }
  return secrets;
}

function readTlsFile(path: string, what: string): Buffer {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (cause) {
    throw new MaskEdgeError('E_TLS', `TLS ${what} file not readable: ${path}`, {
      detail: { path, field: `mqtt.tls.${what}` },
      cause,
    });
  }
  if (!bytes.toString('latin1').includes('-----BEGIN ')) {
    throw new MaskEdgeError('E_TLS', `TLS ${what} file is not PEM: ${path}`, {
      detail: { path, field: `mqtt.tls.${what}` },
    });
  }
  return bytes;
}
