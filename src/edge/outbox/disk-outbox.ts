/**
 * A bounded, crash-safe event outbox: append-only segment files of checksummed JSON lines.
 *
 * - `append` assigns the next sequence number, writes the event and fsyncs before resolving, so an event is
 *   on disk before anyone publishes it. Concurrent appends share one write + fsync (group commit).
 * - The highest sequence number issued is also kept in `seq.mark` (see seq-mark.ts), outside the segments:
 *   the sequence never goes backwards, even when segments are damaged or gone. It is written beside each
 *   batch (with the previous batches' highest seq) and once more after each burst, so it never claims a
 *   seq whose write a crash tore.
 * - `resolve(seq)` (broker acknowledged) appends a small ack record; a segment file is deleted once every
 *   event in it and in all older segments is resolved, so disk use follows the backlog.
 * - On open, segments are replayed in order: pending = events without ack/drop. Unreadable lines (a torn
 *   write, random bytes, a segment overwritten with garbage) are counted as lost records, reported in one
 *   summary line, and the damaged segment is rewritten without them (so they are counted once).
 * - When `maxEvents` are pending, appending drops the oldest pending event (policy drop-oldest), records
 *   the drop on disk and counts it.
 * - A write that fails (ENOSPC on a full disk, EIO) never leaves half a record behind (the file is cut back
 *   to the last whole record); the event is counted as dropped, logged with the error code, and `append`
 *   rejects with E_DISK. The outbox stays usable: once nothing is pending, all segments are deleted and a
 *   fresh one started, so delivery frees the space; a start on a full disk opens with `writable: false`.
 */
import { mkdirSync } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { open } from 'node:fs/promises';
import { MaskEdgeError } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import type { OutboxOptions, OutboxStats, Pending, Segment } from './outbox-contract.js';
import { encodeRecord, type OutboxRecord } from './outbox-record.js';
import { replaySegments, reportAndRepairDamage } from './outbox-replay.js';
import { scanSegments, segmentFile, syncDir, unlinkIfPresent, writeFully } from './segment-files.js';
import { SeqMark } from './seq-mark.js';

export type { OutboxOptions, OutboxStats } from './outbox-contract.js';

interface QueuedWrite {
  record: OutboxRecord;
  sync: boolean;
  resolve: () => void;
  reject: (err: unknown) => void;
}

const DROP_LOG_MS = 30_000;

export class DiskOutbox {
  private readonly pending = new Map<number, Pending>();
  private readonly segments: Segment[] = [];
  private active: Segment | undefined;
  private handle: FileHandle | undefined;
  private activeBytes = 0;
  private seq = 0;
  private queue: QueuedWrite[] = [];
  private flushing: Promise<void> | undefined;
  private closed = false;
  private writeError: string | undefined;
  private lastDropLog = 0;
  private dropsSinceLog = 0;
  private readonly counters = {
    dropped: 0,
    droppedWriteFailed: 0,
    appended: 0,
    resolved: 0,
    lostRecords: 0,
    lostEvents: 0,
  };
  private lostSeqs: number[] = [];
  /** The highest seq of every batch handed to the disk so far (written or refused). */
  private attemptedSeq = 0;
  private markFailing = false;
  readonly dir: string;
  readonly maxEvents: number;
  private readonly segmentBytes: number;
  private readonly fsync: boolean;
  private readonly log: Logger | undefined;
  private readonly mark: SeqMark;

  private constructor(options: OutboxOptions) {
    this.dir = options.dir;
    this.maxEvents = options.maxEvents ?? 10_000;
    this.segmentBytes = options.segmentBytes ?? 4 * 1024 * 1024;
    this.fsync = options.fsync ?? true;
    this.log = options.log;
    this.mark = new SeqMark(this.dir, this.fsync);
    if (!Number.isInteger(this.maxEvents) || this.maxEvents < 1) {
      throw new MaskEdgeError('E_CONFIG', 'outbox maxEvents must be a positive integer', {
        detail: { maxEvents: this.maxEvents },
      });
    }
  }

  /**
   * Opens (creating if needed) the outbox in `dir` and replays what a previous run left. A folder that
   * cannot be read fails (E_NOT_FOUND); a full disk does not: the outbox opens unwritable and retries.
   */
  static async open(options: OutboxOptions): Promise<DiskOutbox> {
    const outbox = new DiskOutbox(options);
    try {
      mkdirSync(outbox.dir, { recursive: true, mode: 0o700 });
      await outbox.replay();
    } catch (cause) {
      if (cause instanceof MaskEdgeError) throw cause;
      throw new MaskEdgeError('E_NOT_FOUND', `outbox folder not usable: ${outbox.dir}`, {
        detail: { path: outbox.dir, reason: (cause as Error).message },
        cause,
      });
    }
    while (outbox.pending.size > outbox.maxEvents) outbox.dropOldest();
    try {
      await outbox.deleteResolvedSegments();
      await outbox.mark.write(outbox.seq);
      await outbox.startSegment();
      await outbox.settleLost();
    } catch (cause) {
      outbox.noteWriteError(cause);
      outbox.log?.error('outbox cannot write; the agent runs on, new events are dropped and counted', {
        dir: outbox.dir,
        code: errnoOf(cause),
        error: (cause as Error).message,
      });
    }
    return outbox;
  }

  /** The highest sequence number issued so far (0 before the first event ever). */
  get lastSeq(): number {
    return this.seq;
  }

  get size(): number {
    return this.pending.size;
  }

  get writable(): boolean {
    return this.writeError === undefined;
  }

  stats(): OutboxStats {
    return {
      queued: this.pending.size,
      ...this.counters,
      segments: this.segments.length,
      lastSeq: this.seq,
      writable: this.writable,
      ...(this.writeError ? { writeError: this.writeError } : {}),
    };
  }

  /**
   * Issues the next sequence number, builds the event with it and stores it durably. Resolves (with the
   * event) once it is on disk and visible to `pendingFrom`; rejects with E_DISK (the event counted as
   * dropped) when the disk refuses it. A sequence number is never issued twice, even then.
   */
  async append<T>(build: (seq: number) => T): Promise<T> {
    if (this.closed) throw new MaskEdgeError('E_INTERNAL', 'outbox is closed', { detail: { dir: this.dir } });
    this.seq += 1;
    const seq = this.seq;
    const event = build(seq);
    try {
      await this.write({ t: 'e', seq, event }, true);
    } catch (err) {
      this.counters.dropped += 1;
      this.counters.droppedWriteFailed += 1;
      this.logDrop(seq, err);
      throw err;
    }
    if (this.pending.size >= this.maxEvents) this.dropOldest();
    this.active!.unresolved += 1;
    this.pending.set(seq, { event, segment: this.active! });
    this.counters.appended += 1;
    return event;
  }

  /** Pending events with seq >= `from`, in order, at most `limit`. */
  pendingFrom(from: number, limit: number): { seq: number; event: unknown }[] {
    const out: { seq: number; event: unknown }[] = [];
    for (const [seq, entry] of this.pending) {
      if (seq < from) continue;
      out.push({ seq, event: entry.event });
      if (out.length >= limit) break;
    }
    return out;
  }

  has(seq: number): boolean {
    return this.pending.has(seq);
  }

  /** The broker acknowledged `seq`: it leaves the outbox (idempotent). */
  resolve(seq: number): void {
    if (!this.settle(seq)) return;
    this.counters.resolved += 1;
    // On a full disk the ack record may not be written: the event then comes back after a restart
    // (a duplicate, never a loss), and the space is reclaimed once nothing is pending.
    void this.write({ t: 'a', seq }, false).catch(() => undefined);
  }

  /** Waits for queued records to reach disk, fsyncs and closes the active segment. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    while (this.flushing) await this.flushing;
    await this.handle?.sync().catch(() => undefined);
    await this.handle?.close();
    this.handle = undefined;
    await this.mark.close().catch(() => undefined);
  }

  private dropOldest(): void {
    const oldest = this.pending.keys().next();
    if (oldest.done) return;
    this.settle(oldest.value);
    this.counters.dropped += 1;
    this.log?.warn('outbox full: dropped oldest event', { seq: oldest.value, maxEvents: this.maxEvents });
    void this.write({ t: 'd', seq: oldest.value }, false).catch(() => undefined);
  }

  private settle(seq: number): boolean {
    const entry = this.pending.get(seq);
    if (!entry) return false;
    this.pending.delete(seq);
    entry.segment.unresolved -= 1;
    return true;
  }

  private write(record: OutboxRecord, sync: boolean): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ record, sync, resolve, reject });
      // flushLoop clears `flushing` in the same tick it sees the queue empty, so no write is stranded.
      if (!this.flushing) this.flushing = this.flushLoop();
    });
  }

  private async flushLoop(): Promise<void> {
    for (;;) {
      while (this.queue.length > 0) await this.flushBatch();
      // Once a burst is written, seq.mark catches up with it (see flushBatch).
      if (this.attemptedSeq > this.mark.recorded) await this.writeMark(this.attemptedSeq);
      if (this.queue.length === 0) break;
    }
    this.flushing = undefined;
  }

  private async writeMark(seq: number): Promise<void> {
    try {
      await this.mark.write(seq);
      this.markFailing = false;
    } catch (err) {
      if (!this.markFailing)
        this.log?.warn('outbox: seq.mark not updated', { error: (err as Error).message });
      this.markFailing = true;
    }
  }

  /** Writes (and fsyncs) everything queued; never throws: failures reject the batch's writers. */
  private async flushBatch(): Promise<void> {
    const batch = this.queue;
    this.queue = [];
    const sync = this.fsync && batch.some((w) => w.sync);
    let topSeq = this.attemptedSeq;
    for (const w of batch) if (w.record.t === 'e' && w.record.seq > topSeq) topSeq = w.record.seq;
    // seq.mark is written beside the segment (in parallel, no extra latency) with the highest seq of the
    // batches before this one: a kill mid-write leaves the mark at most at what is on disk or was counted
    // as dropped, so a torn last write is never mistaken for a lost event; flushLoop catches up after a burst.
    const markSeq = this.attemptedSeq;
    this.attemptedSeq = topSeq;
    try {
      if (!this.handle) await this.startSegment();
      const buf = Buffer.from(batch.map((w) => encodeRecord(w.record)).join(''));
      const [, written] = await Promise.allSettled([
        markSeq > this.mark.recorded ? this.writeMark(markSeq) : undefined,
        this.appendToSegment(buf, sync),
      ]);
      if (written.status === 'rejected') throw written.reason;
      this.writeError = undefined;
      for (const w of batch) w.resolve();
    } catch (cause) {
      this.noteWriteError(cause);
      const code = errnoOf(cause);
      const err = new MaskEdgeError('E_DISK', `outbox write failed in ${this.dir}: ${code}`, {
        detail: { path: this.active?.file ?? this.dir, code, reason: (cause as Error).message },
        cause,
      });
      for (const w of batch) w.reject(err);
    }
    try {
      if (this.handle && this.activeBytes >= this.segmentBytes && !this.closed) {
        await this.handle.sync();
        await this.handle.close();
        this.handle = undefined;
        await this.startSegment();
      }
      await this.deleteResolvedSegments();
      if (!this.writable && this.pending.size === 0 && !this.closed) await this.startAfresh();
    } catch (err) {
      this.noteWriteError(err);
    }
  }

  /** Appends whole records; on failure cuts the file back so no partial record stays behind. */
  private async appendToSegment(buf: Buffer, sync: boolean): Promise<void> {
    const handle = this.handle!;
    try {
      await writeFully(handle, buf);
      if (sync) await handle.datasync();
      this.activeBytes += buf.length;
    } catch (err) {
      await handle.truncate(this.activeBytes).catch(() => undefined);
      throw err;
    }
  }

  private async startSegment(): Promise<void> {
    const id = (this.segments.at(-1)?.id ?? 0) + 1;
    const file = segmentFile(this.dir, id);
    const handle = await open(file, 'a', 0o600);
    const header = Buffer.from(encodeRecord({ t: 'h', lastSeq: this.seq }));
    try {
      await writeFully(handle, header);
      await handle.sync();
      await syncDir(this.dir);
    } catch (err) {
      await handle.close().catch(() => undefined);
      await unlinkIfPresent(file).catch(() => undefined);
      throw err;
    }
    this.handle = handle;
    this.activeBytes = header.length;
    this.active = { id, file, unresolved: 0 };
    this.segments.push(this.active);
    this.writeError = undefined;
  }

  /**
   * After a write failure, once nothing is pending: deletes every segment (they hold only delivered or
   * dropped events; the sequence lives on in seq.mark) and starts a fresh one, freeing the space.
   */
  private async startAfresh(): Promise<void> {
    await this.handle?.close().catch(() => undefined);
    this.handle = undefined;
    this.active = undefined;
    for (const seg of this.segments.splice(0)) await unlinkIfPresent(seg.file);
    await this.startSegment();
    this.log?.info('outbox: space reclaimed, writing again', { dir: this.dir, lastSeq: this.seq });
  }

  /** Deletes the oldest segments while they (and everything older) hold no pending event. */
  private async deleteResolvedSegments(): Promise<void> {
    while (
      this.segments.length > 0 &&
      this.segments[0] !== this.active &&
      this.segments[0]!.unresolved === 0
    ) {
      await unlinkIfPresent(this.segments[0]!.file);
      this.segments.shift();
    }
  }

  private async replay(): Promise<void> {
    const mark = await this.mark.read();
    const scanned = await scanSegments(this.dir);
    const state = replaySegments(scanned, mark.seq);
    this.segments.push(...state.segments);
    for (const [seq, entry] of state.pending) this.pending.set(seq, entry);
    this.seq = state.seq;
    this.attemptedSeq = state.seq;
    this.lostSeqs = state.lostSeqs;
    this.counters.lostRecords = state.lostRecords;
    this.counters.lostEvents = state.lostSeqs.length;
    if (mark.state === 'damaged') {
      this.log?.warn('outbox: seq.mark unreadable; the sequence continues from the segments', {
        file: this.mark.file,
        lastSeq: this.seq,
      });
    }
    await reportAndRepairDamage(this.dir, scanned, state, this.log);
    if (this.pending.size > 0) {
      this.log?.info('outbox: events from a previous run wait for delivery', {
        queued: this.pending.size,
        lastSeq: this.seq,
      });
    }
  }

  /** Records the lost seqs as dropped in the new segment, so a later start does not count them again. */
  private async settleLost(): Promise<void> {
    const lost = this.lostSeqs.slice(0, 100_000);
    this.lostSeqs = [];
    if (lost.length === 0) return;
    await this.appendToSegment(Buffer.from(lost.map((seq) => encodeRecord({ t: 'd', seq })).join('')), true);
  }

  private noteWriteError(cause: unknown): void {
    this.writeError = `${errnoOf(cause)}: ${(cause as Error).message}`;
  }

  /** The first drop, then at most one line per 30 s with the count since the last line. */
  private logDrop(seq: number, err: unknown): void {
    this.dropsSinceLog += 1;
    const now = Date.now();
    if (now - this.lastDropLog < DROP_LOG_MS) return;
    this.lastDropLog = now;
    const code = (err as MaskEdgeError).detail?.code ?? errnoOf(err);
    this.log?.warn(`outbox cannot write (${String(code)}): event dropped and counted`, {
      seq,
      code,
      dropped: this.dropsSinceLog,
      droppedTotal: this.counters.droppedWriteFailed,
      dir: this.dir,
    });
    this.dropsSinceLog = 0;
  }
}

function errnoOf(err: unknown): string {
  const code = (err as NodeJS.ErrnoException)?.code;
  return typeof code === 'string' ? code : 'EIO';
}
