/**
 * `mask-edge demo`: the whole edge path on one machine with nothing installed but the package. Starts an
 * embedded MQTT 3.1.1 broker on a loopback port, runs the real agent (bundled ONNX models, the MQTT sink with
 * its outbox) on the bundled sample photos (each photo shown once, each its own scene), prints what a consumer
 * receives (`alert` for incorrect / no mask, `ok` for a mask worn correctly, `cleared` when a person's label
 * turns to correct), writes annotated frames, and ends with a check of every face against the photos'
 * annotations. It stops when the photos are done (or after --seconds), exit 0.
 */
import { EventEmitter } from 'node:events';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { stringify } from 'yaml';
import { LABELS } from '../../core/labels.js';
import { Logger } from '../../core/logger.js';
import { MODELS_DIR } from '../../core/package-paths.js';
import { runAgent } from '../agent/agent-command.js';
import { agentWiring } from '../agent/agent-wiring.js';
import { formatAlert } from '../alerts/alert-format.js';
import { AlertSubscriber } from '../alerts/alert-subscriber.js';
import type { MaskEvent } from '../events/event-types.js';
import { DEFAULT_DETECTOR_NAME } from '../inference/detector-zoo.js';
import {
  checkAgainstTruth,
  type FaceCheck,
  LABEL_WORDS,
  loadSampleTruth,
  type SampleTruth,
} from './demo-samples.js';
import { startEmbeddedBroker } from './embedded-broker.js';

export { samplePhotos } from './demo-samples.js';

export interface DemoOptions {
  seconds?: number;
  out?: string;
  fps?: number;
  /** Embedded broker port (default: a free one). */
  port?: number;
  detector?: string;
  classifier?: string;
}

export interface DemoIo {
  out?: (line: string) => void;
  logger?: Logger;
  colour?: boolean;
  /** Called with the embedded broker's URL once it listens (tests subscribe with `mask-edge alerts`). */
  onBroker?: (url: string) => void | Promise<void>;
}

export interface DemoResult {
  /** Lines printed for incorrect / no_mask reports. */
  alerts: number;
  /** Lines printed for correct reports (`ok` and `cleared`). */
  ok: number;
  faces: FaceCheck[];
  /** Every annotated face was reported, with its annotated label. */
  allRight: boolean;
  dir: string;
}

/** The first screen: what the photos show, so the lines and annotated frames can be checked against it. */
function summary(truth: SampleTruth, out: (line: string) => void): void {
  const all = truth.photos.flatMap((p) => p.faces.map((f) => f.label));
  const count = (l: string) => all.filter((x) => x === l).length;
  out(
    `${truth.photos.length} sample photos (Kaggle face-mask set, CC0), ${all.length} faces: ` +
      LABELS.map((l) => `${count(l)} ${LABEL_WORDS[l]}`).join(', '),
  );
  for (const p of truth.photos) {
    const faces = p.faces.map((f) => LABEL_WORDS[f.label]).join(', ');
    out(`  ${p.file.padEnd(22)} ${p.faces.length} face${p.faces.length === 1 ? ' ' : 's'}  ${faces}`);
  }
  out(
    `expected: ${count('incorrect') + count('no_mask')} alert lines (incorrect, no mask) and ` +
      `${count('correct')} ok lines (mask worn correctly), one per face`,
  );
}

function verdict(
  result: { faces: FaceCheck[]; unmatched: MaskEvent[] },
  out: (line: string) => void,
): boolean {
  const wrong = result.faces.filter((f) => f.seen !== f.truth);
  const right = result.faces.length - wrong.length;
  out(`check: ${right} of ${result.faces.length} faces reported with their annotated label`);
  for (const f of wrong) {
    out(
      `  ${f.photo}: annotated ${LABEL_WORDS[f.truth]}, ${f.seen ? `reported ${LABEL_WORDS[f.seen]}` : 'not reported'}`,
    );
  }
  if (result.unmatched.length > 0) out(`  ${result.unmatched.length} report(s) matched no annotated face`);
  return wrong.length === 0 && result.unmatched.length === 0;
}

export async function run(opts: DemoOptions = {}, io: DemoIo = {}): Promise<DemoResult> {
  const out = io.out ?? ((line: string) => process.stdout.write(`${line}\n`));
  const truth = loadSampleTruth();
  const fps = opts.fps ?? 1;
  const seconds = opts.seconds ?? 60;
  const work = opts.out ? resolve(opts.out) : mkdtempSync(join(tmpdir(), 'mask-edge-demo-'));
  const photosDir = join(work, 'photos');
  const annotatedDir = join(work, 'annotated');
  mkdirSync(photosDir, { recursive: true });
  // numbered copies keep the order of truth.json (the images source reads a folder in name order)
  truth.photos.forEach((p, i) => {
    copyFileSync(join(truth.dir, p.file), join(photosDir, `${String(i + 1).padStart(2, '0')}-${p.file}`));
  });

  out('mask-edge demo: the agent on sample photos, with an MQTT broker inside this process');
  summary(truth, out);
  const broker = await startEmbeddedBroker(opts.port !== undefined ? { port: opts.port } : {});
  out(
    `broker: ${broker.url}   (another terminal: mask-edge alerts --broker ${broker.url.replace('mqtt://', '')})`,
  );
  out(`annotated frames: ${join(annotatedDir, 'lobby')}`);
  const config = {
    device: { id: 'demo' },
    mqtt: { url: broker.url, protocolVersion: '3.1.1', reconnectSeconds: 0.5 },
    outbox: { dir: join(work, 'outbox') },
    health: { enabled: false },
    logging: { level: 'warn' },
    models: {
      // the agent's default detector (a zoo name) unless a file is given
      detector: opts.detector ? resolve(opts.detector) : DEFAULT_DETECTOR_NAME,
      classifier: resolve(opts.classifier ?? join(MODELS_DIR, 'mask-classifier.int8.onnx')),
      providers: ['cpu'],
    },
    // one frame per photo: report a label on its first frame; each photo is its own scene
    tracking: { stableFrames: 1 },
    cameras: [
      { id: 'lobby', source: { type: 'images', path: photosDir, fps, loop: false, scenePerPhoto: true } },
    ],
    annotate: { enabled: true, dir: annotatedDir, everySeconds: 0, onlyWithFaces: true, keep: 50 },
    stats: { intervalSeconds: 5 },
  };
  const configFile = join(work, 'agent.yaml');
  writeFileSync(configFile, stringify(config));

  const received: MaskEvent[] = [];
  let alerts = 0;
  let ok = 0;
  const colour = io.colour ?? process.stdout.isTTY === true;
  const subscriber = new AlertSubscriber({
    url: broker.url,
    protocolVersion: '3.1.1',
    filter: { prefix: 'mask-edge', labels: LABELS, types: ['new', 'update'] },
    log: io.logger ?? new Logger({ level: 'error' }),
    onAlert: (event) => {
      received.push(event);
      const tag = event.label !== 'correct' ? 'alert' : event.type === 'update' ? 'cleared' : 'ok';
      if (tag === 'alert') alerts += 1;
      else ok += 1;
      out(`${tag.padEnd(7)}${formatAlert(event, { colour })}`);
    },
  });
  const signals = new EventEmitter();
  const stopOnCtrlC = () => signals.emit('SIGINT', 'SIGINT');
  process.once('SIGINT', stopOnCtrlC);
  const timer = setTimeout(() => signals.emit('SIGTERM', 'SIGTERM'), seconds * 1000);
  try {
    await subscriber.start();
    await io.onBroker?.(broker.url);
    out('');
    await runAgent({ config: configFile }, agentWiring(), {
      signals: signals as unknown as NodeJS.Process,
      ...(io.logger ? { logger: io.logger } : {}),
    });
    // the last events reach the subscriber a moment after the agent has stored and sent them
    await new Promise((r) => setTimeout(r, 300));
  } finally {
    clearTimeout(timer);
    process.removeListener('SIGINT', stopOnCtrlC);
    await subscriber.stop();
    await broker.close();
  }
  const frames = existsSync(annotatedDir) ? countFiles(annotatedDir) : 0;
  out('');
  const checked = checkAgainstTruth(truth, received);
  const allRight = verdict(checked, out);
  out(
    `demo finished: ${alerts} alert(s) and ${ok} ok line(s) received over MQTT, ${frames} annotated frame(s) in ${annotatedDir}`,
  );
  out(
    `next: your own camera: edit ${configFile} (see configs/agent.example.yaml), then mask-edge agent --config it`,
  );
  return { alerts, ok, faces: checked.faces, allRight, dir: work };
}

function countFiles(dir: string): number {
  return readdirSync(dir, { withFileTypes: true }).reduce(
    (n, e) => n + (e.isDirectory() ? countFiles(join(dir, e.name)) : /\.(jpe?g|png)$/i.test(e.name) ? 1 : 0),
    0,
  );
}
