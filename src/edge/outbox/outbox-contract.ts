/** Types shared by the outbox's files (disk-outbox.ts, outbox-replay.ts). */
import type { Logger } from '../../core/logger.js';

export interface OutboxOptions {
  dir: string;
  /** Most events kept waiting for the broker; beyond it the oldest is dropped. */
  maxEvents?: number;
  /** A new segment file starts when the active one reaches this size. */
  segmentBytes?: number;
  /** fsync each write batch (default true; false only for tests of throughput). */
  fsync?: boolean;
  log?: Logger;
}

export interface OutboxStats {
  queued: number;
  /** Events dropped this run: oldest dropped when full, plus `droppedWriteFailed`. */
  dropped: number;
  /** Events dropped this run because the disk refused the write (ENOSPC, EIO). */
  droppedWriteFailed: number;
  appended: number;
  resolved: number;
  /** Unreadable records (lines) found in the segments when opening. */
  lostRecords: number;
  /** Events found lost when opening: issued sequence numbers with no readable record left. */
  lostEvents: number;
  segments: number;
  lastSeq: number;
  /** False while the last write failed (e.g. disk full); `writeError` says why. */
  writable: boolean;
  writeError?: string;
}

export interface Segment {
  id: number;
  file: string;
  unresolved: number;
}

export interface Pending {
  event: unknown;
  segment: Segment;
}
