/**
 * `mask-edge demo`: the whole edge path on one machine with nothing installed but `npm ci`. Starts an
 * embedded MQTT 3.1.1 broker on a free loopback port, runs the real agent (bundled ONNX models, the
 * MQTT sink with its outbox) on bundled sample photos in a loop, prints the alerts a consumer receives,
 * writes annotated frames to a folder it names, and stops by itself (default after 20 s), exit 0.
 */
import { EventEmitter } from 'node:events';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { stringify } from 'yaml';
import { MaskEdgeError } from '../../core/errors.js';
import { LABELS } from '../../core/labels.js';
import { Logger } from '../../core/logger.js';
import { MODELS_DIR, packageDir } from '../../core/package-paths.js';
import { runAgent } from '../agent/agent-command.js';
import { agentWiring } from '../agent/agent-wiring.js';
import { formatAlert } from '../alerts/alert-format.js';
import { AlertSubscriber } from '../alerts/alert-subscriber.js';
import { startEmbeddedBroker } from './embedded-broker.js';

export interface DemoOptions {
  seconds?: number;
  out?: string;
  fps?: number;
  detector?: string;
  classifier?: string;
}

export interface DemoIo {
  out?: (line: string) => void;
  logger?: Logger;
  colour?: boolean;
}

/** The face-api sample photos shipped in node_modules (real people, no masks). */
export function samplePhotos(): string[] {
  let dir: string;
  try {
    dir = join(packageDir('@vladmandic/face-api'), 'demo');
  } catch (cause) {
    throw new MaskEdgeError(
      'E_NOT_FOUND',
      'sample photos not found: is @vladmandic/face-api installed (npm ci)?',
      {
        detail: { package: '@vladmandic/face-api' },
        cause,
      },
    );
  }
  const photos = existsSync(dir) ? readdirSync(dir).filter((n) => /^sample\d+\.jpg$/.test(n)) : [];
  if (photos.length === 0) {
    throw new MaskEdgeError('E_NOT_FOUND', `no sample photos in ${dir}`, { detail: { path: dir } });
  }
  return photos.sort().map((n) => join(dir, n));
}

export async function run(opts: DemoOptions = {}, io: DemoIo = {}): Promise<void> {
  const out = io.out ?? ((line: string) => process.stdout.write(`${line}\n`));
  const seconds = opts.seconds ?? 20;
  const work = opts.out ? resolve(opts.out) : mkdtempSync(join(tmpdir(), 'mask-edge-demo-'));
  const photosDir = join(work, 'photos');
  const annotatedDir = join(work, 'annotated');
  mkdirSync(photosDir, { recursive: true });
  for (const photo of samplePhotos()) copyFileSync(photo, join(photosDir, photo.split('/').pop()!));

  const broker = await startEmbeddedBroker();
  out(`mask-edge demo: embedded MQTT broker on ${broker.url}`);
  const config = {
    device: { id: 'demo' },
    mqtt: { url: broker.url, protocolVersion: '3.1.1', reconnectSeconds: 0.5 },
    outbox: { dir: join(work, 'outbox') },
    health: { enabled: false },
    logging: { level: 'warn' },
    models: {
      detector: resolve(opts.detector ?? join(MODELS_DIR, 'face-detector.onnx')),
      classifier: resolve(opts.classifier ?? join(MODELS_DIR, 'mask-classifier.int8.onnx')),
      providers: ['cpu'],
    },
    tracking: { stableFrames: 1, cooldownSeconds: 5 },
    cameras: [{ id: 'lobby', source: { type: 'images', path: photosDir, fps: opts.fps ?? 2, loop: true } }],
    annotate: { enabled: true, dir: annotatedDir, everySeconds: 0, onlyWithFaces: true, keep: 50 },
    stats: { intervalSeconds: 5 },
  };
  const configFile = join(work, 'agent.yaml');
  writeFileSync(configFile, stringify(config));
  out(`config: ${configFile}`);

  let alerts = 0;
  const subscriber = new AlertSubscriber({
    url: broker.url,
    protocolVersion: '3.1.1',
    filter: { prefix: 'mask-edge', labels: LABELS, types: ['new', 'update'] },
    log: io.logger ?? new Logger({ level: 'error' }),
    onAlert: (event) => {
      alerts += 1;
      out(`alert  ${formatAlert(event, { colour: io.colour ?? process.stdout.isTTY === true })}`);
    },
  });
  const signals = new EventEmitter();
  const stopOnCtrlC = () => signals.emit('SIGINT', 'SIGINT');
  process.once('SIGINT', stopOnCtrlC);
  const timer = setTimeout(() => signals.emit('SIGTERM', 'SIGTERM'), seconds * 1000);
  try {
    await subscriber.start();
    out(
      `running the agent on ${readdirSync(photosDir).length} sample photos for ${seconds} s (Ctrl-C stops earlier)...`,
    );
    await runAgent({ config: configFile }, agentWiring(), {
      signals: signals as unknown as NodeJS.Process,
      ...(io.logger ? { logger: io.logger } : {}),
    });
  } finally {
    clearTimeout(timer);
    process.removeListener('SIGINT', stopOnCtrlC);
    await subscriber.stop();
    await broker.close();
  }
  const frames = existsSync(annotatedDir) ? countFiles(annotatedDir) : 0;
  out('');
  out(
    `demo finished: ${alerts} alert(s) received over MQTT, ${frames} annotated frame(s) in ${annotatedDir}`,
  );
  out('next: mask-edge agent --config configs/agent.example.yaml   (see README)');
}

function countFiles(dir: string): number {
  return readdirSync(dir, { withFileTypes: true }).reduce(
    (n, e) => n + (e.isDirectory() ? countFiles(join(dir, e.name)) : /\.(jpe?g|png)$/i.test(e.name) ? 1 : 0),
    0,
  );
}
