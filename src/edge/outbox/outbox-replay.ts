/**
 * Rebuilds the outbox state from its segments and seq.mark, and accounts for what damage destroyed.
 *
 * Sequence numbers are issued in order and every event is written to the active segment, so every seq
 * above the oldest surviving segment's header (`lastSeq` when it started) has its record in a surviving
 * segment: an issued seq in that range with no readable event, ack or drop record is a lost event. When
 * the oldest header itself is unreadable, the range starts below the lowest readable seq instead (or,
 * with nothing readable, one seq per unreadable record below the high-water mark: an estimate).
 */
import type { Pending, Segment } from './outbox-contract.js';
import type { ScannedSegment } from './segment-files.js';

export interface ReplayResult {
  segments: Segment[];
  pending: Map<number, Pending>;
  /** The highest seq: from seq.mark or the segments, whichever is higher. */
  seq: number;
  /** The highest seq the readable segments know. */
  segmentSeq: number;
  lostRecords: number;
  /** Issued seqs with no readable record left (ascending). */
  lostSeqs: number[];
}

export function replaySegments(scanned: ScannedSegment[], markSeq: number): ReplayResult {
  const segments: Segment[] = [];
  const pending = new Map<number, Pending>();
  const seen = new Set<number>();
  let seq = 0;
  for (const s of scanned) {
    const seg: Segment = { id: s.id, file: s.file, unresolved: 0 };
    segments.push(seg);
    for (const record of s.records) {
      if (record.t === 'h') {
        seq = Math.max(seq, record.lastSeq);
        continue;
      }
      seen.add(record.seq);
      seq = Math.max(seq, record.seq);
      if (record.t === 'e') {
        if (!pending.has(record.seq)) {
          seg.unresolved += 1;
          pending.set(record.seq, { event: record.event, segment: seg });
        }
        continue;
      }
      const entry = pending.get(record.seq);
      if (entry) {
        pending.delete(record.seq);
        entry.segment.unresolved -= 1;
      }
    }
  }
  const segmentSeq = seq;
  const high = Math.max(seq, markSeq);
  const lostRecords = scanned.reduce((sum, s) => sum + s.unreadable, 0);
  const lostSeqs: number[] = [];
  if (scanned.length > 0) {
    const first = scanned[0]!.records[0];
    let floor: number;
    if (first?.t === 'h') floor = first.lastSeq;
    else if (seen.size > 0) floor = minOf(seen) - 1;
    else floor = Math.max(0, high - lostRecords);
    for (let s = floor + 1; s <= high; s++) if (!seen.has(s)) lostSeqs.push(s);
  }
  return { segments, pending, seq: high, segmentSeq, lostRecords, lostSeqs };
}

function minOf(values: Set<number>): number {
  let min = Number.POSITIVE_INFINITY;
  for (const v of values) if (v < min) min = v;
  return min;
}
