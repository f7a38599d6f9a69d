/**
 * What consumers of Frigate-style events expect and the tracker does not keep: when each track was first
 * seen, the best classifier probability per label on it, and whether a snapshot of it was published
 * (pure; fed from the pipeline's per-frame assignments).
 */
import type { Label } from '../../core/labels.js';
import type { TrackEvent } from '../tracking/iou-tracker.js';

interface TrackRecord {
  firstSeen: number;
  topScore: Partial<Record<Label, number>>;
  hasSnapshot: boolean;
}

export interface TrackEventFields {
  start_time: number;
  end_time: number | null;
  top_score: number;
}

export class TrackRecords {
  private readonly records = new Map<number, TrackRecord>();
  /** Highest track id observed so far. */
  maxId = 0;

  /** One processed frame: the track id each face went to and its classification. */
  observe(
    assignments: readonly number[],
    faces: readonly { label: Label; score: number }[],
    ts: number,
  ): void {
    assignments.forEach((trackId, i) => {
      const face = faces[i];
      if (trackId === undefined || !face) return;
      this.maxId = Math.max(this.maxId, trackId);
      let record = this.records.get(trackId);
      if (!record) {
        record = { firstSeen: ts, topScore: {}, hasSnapshot: false };
        this.records.set(trackId, record);
      }
      record.topScore[face.label] = Math.max(record.topScore[face.label] ?? 0, face.score);
    });
  }

  /** start/end time (Unix seconds) and top score for an event; the record is dropped after `end`. */
  fieldsFor(event: TrackEvent): TrackEventFields {
    const record = this.records.get(event.trackId);
    const top = Math.max(record?.topScore[event.label] ?? 0, event.score);
    return {
      start_time: round3((record?.firstSeen ?? event.ts) / 1000),
      end_time: event.type === 'end' ? round3(event.ts / 1000) : null,
      top_score: Math.round(Math.min(1, Math.max(0, top)) * 1e4) / 1e4,
    };
  }

  markSnapshot(trackId: number): void {
    const record = this.records.get(trackId);
    if (record) record.hasSnapshot = true;
  }

  hasSnapshot(trackId: number): boolean {
    return this.records.get(trackId)?.hasSnapshot ?? false;
  }

  forget(trackId: number): void {
    this.records.delete(trackId);
  }

  /**
   * Tracks that never got an event end silently in the tracker: drops records of tracks up to `upTo` (the
   * newest id when `liveIds` was taken) that are no longer live.
   */
  retain(liveIds: ReadonlySet<number>, upTo: number): void {
    for (const id of this.records.keys()) if (id <= upTo && !liveIds.has(id)) this.records.delete(id);
  }
}

function round3(v: number): number {
  return Math.round(v * 1000) / 1000;
}
