/**
 * What `--check-config` verifies beyond the schema: the model files really are ONNX models ONNX Runtime
 * opens (a folder or a JPEG named .onnx fails here with E_MODEL, not at 3 a.m.), and the broker's TLS
 * material is readable and parses as certificates and a private key (E_TLS naming the field and file).
 */
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { stat } from 'node:fs/promises';
import { MaskEdgeError } from '../../core/errors.js';
import { Logger } from '../../core/logger.js';
import { openOnnxSession } from '../../core/onnx-session.js';
import type { MqttConfig } from '../config/mqtt-config.js';
import type { ModelsConfig } from '../config/pipeline-config.js';
import { locateDetector } from '../inference/detector-zoo.js';
import { resolveBrokerSecrets } from '../mqtt/mqtt-credentials.js';

const silent = new Logger({ level: 'error', sink: { write: () => undefined } });

/**
 * Opens each model with ONNX Runtime on the CPU (one thread) and releases it. `models.detector` may be a list
 * tried in order (as the agent does): it passes when one of them opens; when none does, every failure is named.
 */
export async function verifyModels(models: ModelsConfig): Promise<string[]> {
  const refs = typeof models.detector === 'string' ? [models.detector] : models.detector;
  const failures: MaskEdgeError[] = [];
  let detector: string | undefined;
  for (const ref of refs) {
    try {
      const { path } = await locateDetector(ref);
      await verifyModelFile('models.detector', path, models.runtimePath);
      detector = `models.detector=${path}`;
      break;
    } catch (err) {
      if (!(err instanceof MaskEdgeError)) throw err;
      failures.push(err);
    }
  }
  if (!detector) {
    if (failures.length === 1)
      throw asModelError('models.detector', refs[0] as string, failures[0] as MaskEdgeError);
    throw new MaskEdgeError(
      'E_MODEL',
      `models.detector: none of ${refs.join(', ')} opens: ${failures.map((f) => f.message).join('; ')}`,
      { detail: { field: 'models.detector', detectors: refs } },
    );
  }
  await verifyModelFile('models.classifier', models.classifier, models.runtimePath);
  const checked = [detector, `models.classifier=${models.classifier}`];
  if (!['none', 'auto'].includes(models.verifier)) {
    await verifyModelFile('models.verifier', models.verifier, models.runtimePath);
    checked.push(`models.verifier=${models.verifier}`);
  }
  return checked;
}

function asModelError(field: string, path: string, err: MaskEdgeError): MaskEdgeError {
  if (err.message.startsWith(`${field}`)) return err;
  return new MaskEdgeError(err.code === 'E_NOT_FOUND' ? 'E_MODEL' : err.code, `${field}: ${err.message}`, {
    detail: { field, path },
    cause: err,
  });
}

async function verifyModelFile(field: string, path: string, runtimePath: string | undefined): Promise<void> {
  const info = await stat(path).catch(() => undefined);
  if (info && !info.isFile()) {
    throw new MaskEdgeError('E_MODEL', `${field} is not a file: ${path}`, {
      detail: { field, path, hint: 'give the .onnx file, not its folder' },
    });
  }
  try {
    const { session } = await openOnnxSession(path, {
      providers: ['cpu'],
      threads: 1,
      logger: silent,
      ...(runtimePath ? { runtimePath } : {}),
    });
    await session.release();
  } catch (err) {
    if (err instanceof MaskEdgeError) throw asModelError(field, path, err);
    throw err;
  }
}

/** Reads the broker credentials and TLS files (config or systemd credentials) and parses the PEM ones. */
export function verifyBrokerSecrets(
  mqtt: Pick<MqttConfig, 'username' | 'password' | 'tls'>,
  env: NodeJS.ProcessEnv = process.env,
): string[] {
  const secrets = resolveBrokerSecrets(mqtt, env);
  const checked: string[] = [];
  const fail = (what: 'ca' | 'cert' | 'key', cause: unknown) => {
    const source = secrets.sources[what] === 'credential' ? 'systemd credential' : `mqtt.tls.${what}`;
    throw new MaskEdgeError('E_TLS', `TLS ${what} (${source}) does not parse: ${(cause as Error).message}`, {
      detail: { field: `mqtt.tls.${what}`, ...(mqtt.tls?.[what] ? { path: mqtt.tls[what] } : {}) },
      cause,
    });
  };
  for (const what of ['ca', 'cert'] as const) {
    const pem = secrets[what];
    if (!pem) continue;
    try {
      new X509Certificate(pem);
    } catch (cause) {
      fail(what, cause);
    }
    checked.push(`tls.${what}`);
  }
  if (secrets.key) {
    try {
      createPrivateKey(secrets.key);
    } catch (cause) {
      fail('key', cause);
    }
    checked.push('tls.key');
  }
  return checked;
}
