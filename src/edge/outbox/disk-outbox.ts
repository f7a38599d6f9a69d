/**
 * A bounded, crash-safe event outbox: append-only segment files of checksummed JSON lines.
 *
 * - `append` assigns the next sequence number, writes the event and fsyncs before resolving, so an event is
 *   on disk before anyone publishes it. Concurrent appends share one write + fsync (group commit).
 * - `resolve(seq)` (broker acknowledged) appends a small ack record; a segment file is deleted once every
 *   event in it and in all older segments is resolved, so disk use follows the backlog.
 * - On open, segments are replayed in order: pending = events without ack/drop; the sequence counter
 *   continues from the highest number seen (each new segment starts with a header holding it, so it
 *   survives even when every event was delivered). Torn or corrupt lines (crash mid-write) are skipped.
 * - When `maxEvents` are pending, appending drops the oldest pending event (policy drop-oldest), records
 *   the drop on disk and counts it.
 */
import { mkdirSync } from 'node:fs';
import { type FileHandle, open, readdir, readFile, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { MaskEdgeError } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import { decodeRecord, encodeRecord, type OutboxRecord } from './outbox-record.js';

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
  dropped: number;
  appended: number;
  resolved: number;
  corruptLines: number;
  segments: number;
  lastSeq: number;
}

interface Segment {
  id: number;
  file: string;
  unresolved: number;
}

interface Pending {
  event: unknown;
  segment: Segment;
}

interface QueuedWrite {
  record: OutboxRecord;
  sync: boolean;
  resolve: () => void;
  reject: (err: unknown) => void;
}

const SEGMENT_RE = /^(\d{12})\.seg$/;

export class DiskOutbox {
  private readonly pending = new Map<number, Pending>();
  private readonly segments: Segment[] = [];
  private active!: Segment;
  private handle!: FileHandle;
  private activeBytes = 0;
  private seq = 0;
  private writtenSeq = 0;
  private queue: QueuedWrite[] = [];
  private flushing: Promise<void> | undefined;
  private closed = false;
  private readonly counters = { dropped: 0, appended: 0, resolved: 0, corruptLines: 0 };
  readonly dir: string;
  readonly maxEvents: number;
  private readonly segmentBytes: number;
  private readonly fsync: boolean;
  private readonly log: Logger | undefined;

  private constructor(options: OutboxOptions) {
    this.dir = options.dir;
    this.maxEvents = options.maxEvents ?? 10_000;
    this.segmentBytes = options.segmentBytes ?? 4 * 1024 * 1024;
    this.fsync = options.fsync ?? true;
    this.log = options.log;
    if (!Number.isInteger(this.maxEvents) || this.maxEvents < 1) {
      throw new MaskEdgeError('E_CONFIG', 'outbox maxEvents must be a positive integer', {
        detail: { maxEvents: this.maxEvents },
      });
    }
  }

  /** Opens (creating if needed) the outbox in `dir` and replays what a previous run left. */
  static async open(options: OutboxOptions): Promise<DiskOutbox> {
    const outbox = new DiskOutbox(options);
    try {
      mkdirSync(outbox.dir, { recursive: true, mode: 0o700 });
      await outbox.replay();
      await outbox.startSegment();
      while (outbox.pending.size > outbox.maxEvents) outbox.dropOldest();
      await outbox.deleteResolvedSegments();
    } catch (cause) {
      if (cause instanceof MaskEdgeError) throw cause;
      throw new MaskEdgeError('E_NOT_FOUND', `outbox folder not usable: ${outbox.dir}`, {
        detail: { path: outbox.dir, reason: (cause as Error).message },
        cause,
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

  stats(): OutboxStats {
    return {
      queued: this.pending.size,
      ...this.counters,
      segments: this.segments.length,
      lastSeq: this.seq,
    };
  }

  /**
   * Issues the next sequence number, builds the event with it and stores it durably.
   * Resolves (with the event) once it is on disk and visible to `pendingFrom`.
   */
  async append<T>(build: (seq: number) => T): Promise<T> {
    if (this.closed) throw new MaskEdgeError('E_INTERNAL', 'outbox is closed', { detail: { dir: this.dir } });
    this.seq += 1;
    const seq = this.seq;
    const event = build(seq);
    await this.write({ t: 'e', seq, event }, true);
    if (this.pending.size >= this.maxEvents) this.dropOldest();
    this.active.unresolved += 1;
    this.pending.set(seq, { event, segment: this.active });
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
    void this.write({ t: 'a', seq }, false).catch((err) =>
      this.log?.warn('outbox ack record not written', { seq, error: err }),
    );
  }

  /** Waits for queued records to reach disk, fsyncs and closes the active segment. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    while (this.flushing) await this.flushing;
    await this.handle.sync().catch(() => undefined);
    await this.handle.close();
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
    while (this.queue.length > 0) await this.flushBatch();
    this.flushing = undefined;
  }

  /** Writes (and fsyncs) everything queued; never throws: failures reject the batch's writers. */
  private async flushBatch(): Promise<void> {
    const batch = this.queue;
    this.queue = [];
    const text = batch.map((w) => encodeRecord(w.record)).join('');
    try {
      await this.handle.write(text);
      if (this.fsync && batch.some((w) => w.sync)) await this.handle.datasync();
      this.activeBytes += Buffer.byteLength(text);
      for (const w of batch) {
        if (w.record.t === 'e') this.writtenSeq = Math.max(this.writtenSeq, w.record.seq);
      }
      for (const w of batch) w.resolve();
    } catch (cause) {
      const err = new MaskEdgeError('E_INTERNAL', `outbox write failed in ${this.dir}`, {
        detail: { path: this.active.file, reason: (cause as Error).message },
        cause,
      });
      for (const w of batch) w.reject(err);
      return;
    }
    try {
      if (this.activeBytes >= this.segmentBytes && !this.closed) {
        await this.handle.sync();
        await this.handle.close();
        await this.startSegment();
      }
      await this.deleteResolvedSegments();
    } catch (err) {
      this.log?.warn('outbox segment maintenance failed', { dir: this.dir, error: err });
    }
  }

  private async startSegment(): Promise<void> {
    const id = (this.segments.at(-1)?.id ?? 0) + 1;
    const file = join(this.dir, `${String(id).padStart(12, '0')}.seg`);
    this.handle = await open(file, 'a', 0o600);
    const header = encodeRecord({ t: 'h', lastSeq: Math.max(this.writtenSeq, this.seq) });
    await this.handle.write(header);
    await this.handle.sync();
    await syncDir(this.dir);
    this.activeBytes = Buffer.byteLength(header);
    this.active = { id, file, unresolved: 0 };
    this.segments.push(this.active);
  }

  /** Deletes the oldest segments while they (and everything older) hold no pending event. */
  private async deleteResolvedSegments(): Promise<void> {
    while (
      this.segments.length > 1 &&
      this.segments[0] !== this.active &&
      this.segments[0]!.unresolved === 0
    ) {
      const seg = this.segments.shift()!;
      await unlink(seg.file).catch((err: NodeJS.ErrnoException) => {
        if (err.code !== 'ENOENT') throw err;
      });
    }
  }

  private async replay(): Promise<void> {
    const names = (await readdir(this.dir)).filter((n) => SEGMENT_RE.test(n)).sort();
    for (const name of names) {
      const seg: Segment = {
        id: Number(SEGMENT_RE.exec(name)![1]),
        file: join(this.dir, name),
        unresolved: 0,
      };
      this.segments.push(seg);
      const lines = (await readFile(seg.file, 'utf8')).split('\n');
      const last = lines.length - 1;
      lines.forEach((line, i) => {
        if (line === '') return;
        const record = decodeRecord(line);
        if (!record) {
          // A torn final line is the expected trace of a crash mid-append; anything else is corruption.
          if (i !== last) this.counters.corruptLines += 1;
          this.log?.warn('outbox: skipped unreadable record', { file: seg.file, line: i + 1 });
          return;
        }
        this.apply(record, seg);
      });
    }
    this.writtenSeq = this.seq;
    if (this.pending.size > 0) {
      this.log?.info('outbox: events from a previous run wait for delivery', {
        queued: this.pending.size,
        lastSeq: this.seq,
      });
    }
  }

  private apply(record: OutboxRecord, seg: Segment): void {
    switch (record.t) {
      case 'h':
        this.seq = Math.max(this.seq, record.lastSeq);
        return;
      case 'e':
        this.seq = Math.max(this.seq, record.seq);
        if (!this.pending.has(record.seq)) {
          seg.unresolved += 1;
          this.pending.set(record.seq, { event: record.event, segment: seg });
        }
        return;
      case 'a':
      case 'd':
        this.settle(record.seq);
        return;
    }
  }
}

async function syncDir(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
