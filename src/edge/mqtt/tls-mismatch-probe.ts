/**
 * Tells a plain/TLS mismatch from an unreachable broker. Both look the same to MQTT.js (the broker resets
 * the connection, ECONNRESET, forever), so after such a reset the publisher asks the port once in the
 * other protocol: an `mqtt://` URL gets a TLS handshake (certificate not checked: only "does it speak
 * TLS?"), an `mqtts://` URL gets a plain MQTT CONNECT and waits for a CONNACK.
 */
import { Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { MaskEdgeError } from '../../core/errors.js';

/** MQTT 3.1.1 CONNECT: clean session, keepalive 60 s, empty client id (the broker answers CONNACK). */
const MQTT_CONNECT = Buffer.from([
  0x10, 0x0c, 0x00, 0x04, 0x4d, 0x51, 0x54, 0x54, 0x04, 0x02, 0x00, 0x3c, 0x00, 0x00,
]);

export type ProbeAnswer = 'speaks-tls' | 'speaks-plain-mqtt' | 'no-mismatch';

export async function probeProtocolMismatch(brokerUrl: string, timeoutMs = 1500): Promise<ProbeAnswer> {
  let url: URL;
  try {
    url = new URL(brokerUrl);
  } catch {
    return 'no-mismatch';
  }
  const host = url.hostname.replace(/^\[|\]$/g, '');
  if (url.protocol === 'mqtt:') {
    const port = Number(url.port || 1883);
    return new Promise((resolve) => {
      const socket = tlsConnect({ host, port, rejectUnauthorized: false, servername: undefined });
      const finish = (answer: ProbeAnswer) => {
        clearTimeout(timer);
        socket.destroy();
        resolve(answer);
      };
      const timer = setTimeout(() => finish('no-mismatch'), timeoutMs);
      socket.once('secureConnect', () => finish('speaks-tls'));
      socket.once('error', () => finish('no-mismatch'));
    });
  }
  if (url.protocol === 'mqtts:') {
    const port = Number(url.port || 8883);
    return new Promise((resolve) => {
      const socket = new Socket();
      const finish = (answer: ProbeAnswer) => {
        clearTimeout(timer);
        socket.destroy();
        resolve(answer);
      };
      const timer = setTimeout(() => finish('no-mismatch'), timeoutMs);
      socket.once('connect', () => socket.write(MQTT_CONNECT));
      socket.once('data', (chunk: Buffer) => finish(chunk[0] === 0x20 ? 'speaks-plain-mqtt' : 'no-mismatch'));
      socket.once('error', () => finish('no-mismatch'));
      socket.connect(port, host);
    });
  }
  return 'no-mismatch';
}

/** The E_TLS error (fatal: retrying cannot help) for a mismatch the probe found. */
export function mismatchError(safeUrl: string, answer: ProbeAnswer): MaskEdgeError | undefined {
  if (answer === 'speaks-tls') {
    return new MaskEdgeError(
      'E_TLS',
      `broker ${safeUrl} expects TLS on this port, but the URL is plain mqtt://`,
      {
        detail: {
          url: safeUrl,
          fatal: true,
          hint: 'use mqtts:// (and mqtt.tls.ca for a private CA), or the plain port of the broker',
        },
      },
    );
  }
  if (answer === 'speaks-plain-mqtt') {
    return new MaskEdgeError(
      'E_TLS',
      `broker ${safeUrl} speaks plain MQTT on this port, but the URL is mqtts://`,
      {
        detail: {
          url: safeUrl,
          fatal: true,
          hint: 'use mqtt://, or the TLS port of the broker (often 8883)',
        },
      },
    );
  }
  return undefined;
}
