/** Maps what MQTT.js and Node's TLS/net layers throw to coded MaskEdgeErrors (E_TLS / E_BROKER). */
import { MaskEdgeError } from '../../core/errors.js';

const TLS_CODES =
  /^(ERR_TLS_|ERR_SSL_|CERT_|UNABLE_TO_|SELF_SIGNED_|DEPTH_ZERO_|HOSTNAME_MISMATCH|ERR_OSSL_|EPROTO$)/;

/** MQTT 5 CONNACK reason codes and MQTT 3.1.1 return codes that mean "fix your config". */
const AUTH_REASONS: Record<number, string> = {
  134: 'bad user name or password',
  135: 'not authorized',
  4: 'bad user name or password',
  5: 'not authorized',
};

export interface ErrorContext {
  url: string;
}

/** True for failures retrying cannot fix (bad certificate, refused credentials). */
export function isFatalConnectError(err: MaskEdgeError): boolean {
  return err.code === 'E_TLS' || err.detail.fatal === true;
}

export function toBrokerError(err: unknown, context: ErrorContext): MaskEdgeError {
  if (err instanceof MaskEdgeError) return err;
  const e = err as Error & { code?: string | number; reason?: string };
  const code = e?.code;
  const message = e?.message ?? String(err);
  if (typeof code === 'string' && TLS_CODES.test(code)) {
    return new MaskEdgeError('E_TLS', `TLS handshake with ${context.url} failed: ${message}`, {
      detail: { url: context.url, tlsCode: code, fatal: true },
      cause: err,
    });
  }
  if (typeof code === 'number') {
    const reason = AUTH_REASONS[code];
    return new MaskEdgeError(
      'E_BROKER',
      `broker ${context.url} refused the connection: ${reason ?? message}`,
      {
        detail: { url: context.url, reasonCode: code, fatal: reason !== undefined },
        cause: err,
      },
    );
  }
  return new MaskEdgeError('E_BROKER', `broker ${context.url} not reachable: ${message}`, {
    detail: { url: context.url, ...(code === undefined ? {} : { errno: code }) },
    cause: err,
  });
}
