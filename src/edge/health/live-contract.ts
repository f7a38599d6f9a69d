/**
 * What the live page (health server) reads from the agent runtime: per camera its state, rate and counts,
 * the newest annotated frame as JPEG, the newest events and the runtime stats. No source URLs: the page
 * never sees where frames come from beyond the source type.
 */
import type { LabelCounts, MaskEvent, RuntimeStats, SourceState } from '../events/event-types.js';

export interface LiveFrameJpeg {
  jpeg: Buffer;
  /** Frame capture time (ms since epoch). */
  ts: number;
  /** Frame index from the source. */
  index: number;
}

export interface LiveCameraView {
  id: string;
  /** Source type only (images, ffmpeg, webcam), never its path or URL. */
  sourceType: string;
  state: SourceState;
  fps: number;
  counts: LabelCounts;
  framesProcessed: number;
  events: number;
  /** Faces ignored outside the camera's zone. */
  outsideZone: number;
  hasZone: boolean;
}

export interface LiveView {
  cameras: LiveCameraView[];
  events: MaskEvent[];
  stats: RuntimeStats;
}

export interface LiveSource {
  view(): LiveView;
  /** The newest annotated frame of a camera; undefined for an unknown camera or before its first frame. */
  frame(camera: string): Promise<LiveFrameJpeg | undefined>;
}
