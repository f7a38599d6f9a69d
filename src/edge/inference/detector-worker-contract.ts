/**
 * Messages between the agent and its detector worker threads (detector-worker.ts, detector-worker-pool.ts).
 * ONNX Runtime's node binding runs a session on the thread that called it, blocking that thread's event loop, so one
 * agent process runs every camera's detection on one core; worker threads, each with its own sessions, give the
 * cameras of one agent the machine's other cores.
 */
import type { Box } from '../../core/image-io.js';
import type { PowerPreference } from '../../core/webgpu-adapter.js';

/** What a worker opens: the same detector, verifier and tiling as the agent's own (see model-loader.ts). */
export interface DetectorWorkerInit {
  /** Zoo names or ONNX files, tried in order (models.detector). */
  detectors: string[];
  /** models.verifier: auto, none or a file. */
  verifier: string;
  /** detection.tileAboveScale when > 0. */
  tileAboveScale?: number;
  /** ONNX Runtime settings of models.* (the same the main thread's sessions get). */
  session: SessionSettings;
  /** Worker log level (its lines go to the process's stderr). */
  logLevel?: 'debug' | 'info' | 'warn' | 'error';
}

/** The plain (cloneable) session settings of `models`: providers, threads, GPU choice, custom runtime. */
export interface SessionSettings {
  providers?: string[];
  threads?: number;
  deviceId?: number;
  powerPreference?: PowerPreference;
  runtimePath?: string;
}

export interface DetectOptionsMessage {
  minScore?: number;
  iou?: number;
  maxFaces?: number;
}

export type ToDetectorWorker =
  | { type: 'init'; init: DetectorWorkerInit }
  | {
      type: 'detect';
      id: number;
      width: number;
      height: number;
      data: Uint8Array;
      options: DetectOptionsMessage;
    };

export type FromDetectorWorker =
  | { type: 'ready'; provider: string; detector: string; verifier?: string }
  | {
      type: 'result';
      id: number;
      faces: { box: Box; score: number }[];
      rejected?: number;
      tiled?: boolean;
    }
  | { type: 'failed'; id?: number; code: string; message: string; detail?: unknown };
