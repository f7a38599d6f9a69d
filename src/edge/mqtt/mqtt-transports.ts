/**
 * Transports keyed by URL scheme, MQTT.js style: the scheme of the broker URL picks TCP, TLS, WebSocket or
 * secure WebSocket. Each entry says its default port and whether TLS options apply.
 */
import { MaskEdgeError } from '../../core/errors.js';
import { MQTT_SCHEMES, type MqttScheme } from '../config/mqtt-config.js';

export interface Transport {
  scheme: MqttScheme;
  defaultPort: number;
  tls: boolean;
  websocket: boolean;
}

export const TRANSPORTS: Readonly<Record<MqttScheme, Transport>> = {
  mqtt: { scheme: 'mqtt', defaultPort: 1883, tls: false, websocket: false },
  mqtts: { scheme: 'mqtts', defaultPort: 8883, tls: true, websocket: false },
  ws: { scheme: 'ws', defaultPort: 80, tls: false, websocket: true },
  wss: { scheme: 'wss', defaultPort: 443, tls: true, websocket: true },
};

export function transportFor(brokerUrl: string): Transport {
  let url: URL;
  try {
    url = new URL(brokerUrl);
  } catch (cause) {
    throw new MaskEdgeError('E_CONFIG', `not a broker URL: ${brokerUrl}`, {
      detail: { url: brokerUrl },
      cause,
    });
  }
  const scheme = url.protocol.replace(/:$/, '');
  const transport = TRANSPORTS[scheme as MqttScheme];
  if (!transport) {
    throw new MaskEdgeError('E_UNSUPPORTED', `broker URL scheme '${scheme}' is not supported`, {
      detail: { url: brokerUrl, scheme, supported: MQTT_SCHEMES },
    });
  }
  return transport;
}

/** The URL with any user:password removed, for logs and errors. */
export function safeUrl(brokerUrl: string): string {
  try {
    const url = new URL(brokerUrl);
    url.username = '';
    url.password = '';
    return url.toString().replace(/\/$/, '');
  } catch {
    return '(invalid url)';
  }
}
