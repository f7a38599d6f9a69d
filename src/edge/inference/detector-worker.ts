/**
 * A detector worker thread: opens the agent's detector (with its face verifier and tiling, as model-loader.ts does
 * in the main thread) and answers detect requests one at a time. A request that fails (a bad frame) is answered with
 * its error; the worker goes on. See detector-worker-contract.ts.
 */
import { parentPort } from 'node:worker_threads';
import { isMaskEdgeError } from '../../core/errors.js';
import { Logger } from '../../core/logger.js';
import type { DetectorWorkerInit, FromDetectorWorker, ToDetectorWorker } from './detector-worker-contract.js';
import { openDetector } from './detector-zoo.js';
import { withVerifier } from './face-verifier.js';

type Detector = Awaited<ReturnType<typeof withVerifier>>['detector'];

const port = parentPort;
if (!port) throw new Error('detector-worker.js runs as a worker thread');
const reply = (message: FromDetectorWorker) => port.postMessage(message);

function failure(err: unknown, id?: number): FromDetectorWorker {
  const coded = isMaskEdgeError(err);
  return {
    type: 'failed',
    ...(id !== undefined ? { id } : {}),
    code: coded ? err.code : 'E_INTERNAL',
    message: (err as Error)?.message ?? String(err),
    ...(coded && err.detail !== undefined ? { detail: err.detail } : {}),
  };
}

async function open(init: DetectorWorkerInit): Promise<Detector> {
  const logger = new Logger({ level: init.logLevel ?? 'warn', bindings: { worker: 'detector' } });
  const common = { ...init.session, logger };
  const opened = await openDetector(init.detectors, common);
  const tiling =
    init.tileAboveScale && init.tileAboveScale > 0 ? { minScale: init.tileAboveScale } : undefined;
  const { detector, verifier } = await withVerifier(opened, init.verifier, common, tiling);
  reply({
    type: 'ready',
    provider: detector.provider,
    detector: opened.name,
    ...(verifier.path ? { verifier: verifier.path } : {}),
  });
  return detector;
}

let detector: Detector | undefined;
port.on('message', async (message: ToDetectorWorker) => {
  if (message.type === 'init') {
    try {
      detector = await open(message.init);
    } catch (err) {
      reply(failure(err));
    }
    return;
  }
  if (!detector) {
    reply(failure(new Error('detector worker not initialised'), message.id));
    return;
  }
  try {
    const { width, height, data } = message;
    const faces = await detector.detect({ width, height, data }, message.options);
    const extra = faces as { rejected?: number; tiled?: boolean };
    reply({
      type: 'result',
      id: message.id,
      faces: faces.map((f) => ({ box: f.box, score: f.score })),
      ...(extra.rejected !== undefined ? { rejected: extra.rejected } : {}),
      ...(extra.tiled ? { tiled: true } : {}),
    });
  } catch (err) {
    reply(failure(err, message.id));
  }
});
