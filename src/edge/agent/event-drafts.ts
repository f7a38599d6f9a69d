/**
 * Tracker output and source stats in the shapes the event sink takes (pure; tested directly).
 */
import type { EventDraft, SourceStatus } from '../events/event-types.js';
import type { SourceStats } from '../sources/frame-source.js';
import type { TrackEvent } from '../tracking/iou-tracker.js';

/** A source's stats in the sink's shape (SourceStatus plus the source's own counters). */
export function toSourceStatus(stats: SourceStats): SourceStatus & Record<string, unknown> {
  return { ...stats, droppedFrames: stats.capped };
}

/** An event draft: box clipped to the frame and rounded to 0.1 px, score to 4 decimals. */
export function toDraft(
  event: TrackEvent,
  camera: string,
  frame: { width: number; height: number },
  model: { name: string; version: string },
): EventDraft {
  const x = clamp(event.box.x, 0, frame.width);
  const y = clamp(event.box.y, 0, frame.height);
  const w = clamp(event.box.x + event.box.width, 0, frame.width) - x;
  const h = clamp(event.box.y + event.box.height, 0, frame.height) - y;
  return {
    camera,
    ts: new Date(event.ts).toISOString(),
    type: event.type,
    trackId: event.trackId,
    label: event.label,
    score: Math.round(clamp(event.score, 0, 1) * 1e4) / 1e4,
    box: [x, y, w, h].map((v) => Math.round(v * 10) / 10) as [number, number, number, number],
    frame: { width: frame.width, height: frame.height },
    model: { ...model },
  };
}

function clamp(v: number, lo: number, hi: number): number {
  return Math.min(hi, Math.max(lo, v));
}
