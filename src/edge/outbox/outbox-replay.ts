/**
 * Rebuilds the outbox state from its segments and seq.mark, and accounts for what damage destroyed.
 *
 * Sequence numbers are issued in order and every event is written to the active segment, so every seq
 * above the oldest surviving segment's header (`lastSeq` when it started) has its record in a surviving
 * segment: an issued seq in that range with no readable event, ack or drop record is a lost event. When
 * the oldest header itself is unreadable, the range starts below the lowest readable seq instead (or,
 * with nothing readable, one seq per unreadable record below the high-water mark: an estimate).
 */
import type { Logger } from '../../core/logger.js';
import type { Pending, Segment } from './outbox-contract.js';
import { repairSegment, type ScannedSegment } from './segment-files.js';

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

/**
 * One summary line for what damage destroyed, then each damaged segment rewritten without its unreadable
 * lines (the lost seqs get drop records in the new segment), so the next start neither counts them again
 * nor trips over them.
 */
export async function reportAndRepairDamage(
  dir: string,
  scanned: ScannedSegment[],
  state: ReplayResult,
  log: Logger | undefined,
): Promise<void> {
  const damaged = scanned.filter((s) => s.unreadable > 0);
  if (damaged.length > 0 || state.lostSeqs.length > 0) {
    const msg =
      state.lostSeqs.length > 0
        ? 'outbox: damaged records skipped; the events they held are lost'
        : 'outbox: unreadable records skipped (e.g. a write torn by a crash); no stored event is missing';
    log?.warn(msg, {
      lostEvents: state.lostSeqs.length,
      lostRecords: state.lostRecords,
      lostSeqs: summariseSeqs(state.lostSeqs),
      files: damaged.map((s) => ({ file: s.file, unreadable: s.unreadable })),
      lastSeq: state.seq,
    });
  }
  for (const s of damaged) {
    await repairSegment(dir, s).catch((err) =>
      log?.warn('outbox: damaged segment not repaired (counted again next start)', {
        file: s.file,
        error: (err as Error).message,
      }),
    );
  }
}

/** "3..7, 12" for logs: runs of consecutive seqs, at most 20 runs. */
function summariseSeqs(seqs: number[]): string {
  const runs: string[] = [];
  for (let i = 0; i < seqs.length && runs.length < 20; ) {
    let j = i;
    while (j + 1 < seqs.length && seqs[j + 1] === seqs[j]! + 1) j++;
    runs.push(i === j ? `${seqs[i]}` : `${seqs[i]}..${seqs[j]}`);
    i = j + 1;
  }
  return runs.join(', ') + (runs.length === 20 ? ', ...' : '');
}
