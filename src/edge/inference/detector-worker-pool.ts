/**
 * The agent's detector in worker threads: `count` workers (detector-worker.ts), each with its own ONNX Runtime
 * sessions, take the cameras' detect calls as they come (one call per worker at a time, the rest queued), so one
 * agent process detects on several cores at once. Behaves as the in-thread detector it replaces (same boxes,
 * verifier rejections and tiling marks). A call that fails in a worker (a bad frame) fails alone; a worker that dies
 * fails its call and is started again (counted in `restarts`).
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { type ErrorCode, MaskEdgeError } from '../../core/errors.js';
import type { Box, RgbImage } from '../../core/image-io.js';
import { PACKAGE_ROOT } from '../../core/package-paths.js';
import type {
  DetectOptionsMessage,
  DetectorWorkerInit,
  FromDetectorWorker,
  ToDetectorWorker,
} from './detector-worker-contract.js';

type Faces = { box: Box; score: number }[] & { rejected?: number; tiled?: boolean };

interface Request {
  id: number;
  frame: RgbImage;
  options: DetectOptionsMessage;
  resolve: (faces: Faces) => void;
  reject: (err: Error) => void;
}

interface Slot {
  worker: Worker;
  current?: Request;
  ready: boolean;
  served: number;
}

/** The worker's script: beside this module when built (dist/), else the built copy (tests run the sources). */
export function detectorWorkerScript(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  const sibling = join(here, 'detector-worker.js');
  return existsSync(sibling)
    ? sibling
    : join(PACKAGE_ROOT, 'dist', 'edge', 'inference', 'detector-worker.js');
}

function workerError(message: Extract<FromDetectorWorker, { type: 'failed' }>): MaskEdgeError {
  return new MaskEdgeError(message.code as ErrorCode, message.message, {
    detail: (message.detail as Record<string, unknown> | undefined) ?? {},
  });
}

export class DetectorWorkerPool {
  /** Worker restarts after a worker died. */
  restarts = 0;
  private readonly slots: Slot[] = [];
  private readonly queue: Request[] = [];
  private nextId = 1;
  private closed = false;

  private constructor(
    private readonly init: DetectorWorkerInit,
    readonly provider: string,
    readonly detectorName: string,
  ) {}

  /** Starts `count` workers and waits until each has opened its models (an error of one stops them all). */
  static async open(init: DetectorWorkerInit, count: number): Promise<DetectorWorkerPool> {
    if (!(Number.isInteger(count) && count >= 1 && count <= 64)) {
      throw new MaskEdgeError('E_USAGE', `detector workers must be 1-64, got ${count}`, {
        detail: { workers: count },
      });
    }
    const script = detectorWorkerScript();
    if (!existsSync(script)) {
      throw new MaskEdgeError(
        'E_INTERNAL',
        `detector worker script missing: ${script} (build with npm run build)`,
        {
          detail: { path: script },
        },
      );
    }
    const started = await Promise.allSettled(
      Array.from({ length: count }, () => DetectorWorkerPool.start(init, script)),
    );
    const opened = started.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
    const failed = started.find((s): s is PromiseRejectedResult => s.status === 'rejected');
    if (failed) {
      await Promise.allSettled(opened.map((o) => o.worker.terminate()));
      throw failed.reason;
    }
    const pool = new DetectorWorkerPool(init, opened[0]!.ready.provider, opened[0]!.ready.detector);
    for (const { worker } of opened) pool.adopt(worker);
    return pool;
  }

  /** One worker, initialised: resolves on its `ready`, rejects on its `failed` or its exit. */
  private static start(
    init: DetectorWorkerInit,
    script: string,
  ): Promise<{ worker: Worker; ready: Extract<FromDetectorWorker, { type: 'ready' }> }> {
    const worker = new Worker(script);
    return new Promise((resolve, reject) => {
      const onMessage = (m: FromDetectorWorker) => {
        if (m.type === 'ready') {
          cleanup();
          resolve({ worker, ready: m });
        } else if (m.type === 'failed') {
          cleanup();
          void worker.terminate();
          reject(workerError(m));
        }
      };
      const onExit = (code: number) => {
        cleanup();
        reject(new MaskEdgeError('E_MODEL', `detector worker exited (${code}) before opening its models`));
      };
      const onError = (err: Error) => {
        cleanup();
        reject(
          new MaskEdgeError('E_MODEL', `detector worker failed to start: ${err.message}`, { cause: err }),
        );
      };
      const cleanup = () => {
        worker.off('message', onMessage);
        worker.off('exit', onExit);
        worker.off('error', onError);
      };
      worker.on('message', onMessage);
      worker.once('exit', onExit);
      worker.once('error', onError);
      worker.postMessage({ type: 'init', init } satisfies ToDetectorWorker);
    });
  }

  private adopt(worker: Worker): void {
    const slot: Slot = { worker, ready: true, served: 0 };
    this.slots.push(slot);
    worker.on('message', (m: FromDetectorWorker) => this.onMessage(slot, m));
    worker.on('error', () => undefined); // the exit that follows is handled below
    worker.once('exit', (code) => this.onExit(slot, code));
    this.pump();
  }

  /** Workers now running, and the calls each has answered. */
  get workers(): { served: number; busy: boolean }[] {
    return this.slots.map((s) => ({ served: s.served, busy: s.current !== undefined }));
  }

  detect(frame: RgbImage, options: DetectOptionsMessage = {}): Promise<Faces> {
    if (this.closed) return Promise.reject(new MaskEdgeError('E_INTERNAL', 'detector workers are closed'));
    return new Promise((resolve, reject) => {
      this.queue.push({ id: this.nextId++, frame, options, resolve, reject });
      this.pump();
    });
  }

  private pump(): void {
    for (const slot of this.slots) {
      if (this.queue.length === 0) return;
      if (!slot.ready || slot.current) continue;
      const request = this.queue.shift()!;
      slot.current = request;
      // A copy of the pixels travels to the worker (the frame stays the caller's).
      const data = request.frame.data.slice();
      slot.worker.postMessage(
        {
          type: 'detect',
          id: request.id,
          width: request.frame.width,
          height: request.frame.height,
          data,
          options: request.options,
        } satisfies ToDetectorWorker,
        [data.buffer],
      );
    }
  }

  private onMessage(slot: Slot, m: FromDetectorWorker): void {
    const request = slot.current;
    if (m.type === 'ready' || !request || m.id !== request.id) return;
    slot.current = undefined;
    slot.served += 1;
    if (m.type === 'result') {
      const faces: Faces = Object.assign(m.faces, {
        ...(m.rejected !== undefined ? { rejected: m.rejected } : {}),
        ...(m.tiled ? { tiled: true } : {}),
      });
      request.resolve(faces);
    } else {
      request.reject(workerError(m));
    }
    this.pump();
  }

  private onExit(slot: Slot, code: number): void {
    const index = this.slots.indexOf(slot);
    if (index >= 0) this.slots.splice(index, 1);
    slot.current?.reject(
      new MaskEdgeError('E_MODEL', `detector worker exited (${code}) during a detect call`),
    );
    slot.current = undefined;
    if (this.closed) return;
    this.restarts += 1;
    DetectorWorkerPool.start(this.init, detectorWorkerScript()).then(
      ({ worker }) => (this.closed ? void worker.terminate() : this.adopt(worker)),
      (err: Error) => {
        // No worker left to take the queue: fail what waits rather than hang.
        if (this.slots.length === 0) for (const r of this.queue.splice(0)) r.reject(err);
      },
    );
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const r of this.queue.splice(0))
      r.reject(new MaskEdgeError('E_INTERNAL', 'detector workers closed'));
    await Promise.allSettled(this.slots.map((s) => s.worker.terminate()));
  }
}
