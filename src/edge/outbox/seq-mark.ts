/**
 * The outbox's sequence high-water mark, kept outside the segment files (`seq.mark`), so a damaged or
 * deleted segment can never make the sequence go backwards.
 *
 * The file has a fixed size (two 64-byte slots) and is only ever overwritten in place, alternating slots:
 * an in-place write needs no new disk blocks, so the mark keeps advancing on a full disk, and a write torn
 * by a power cut spoils at most one slot (each slot carries a CRC32); the reader takes the highest valid one.
 */
import { type FileHandle, open } from 'node:fs/promises';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';

const SLOT = 64;
const FILE_NAME = 'seq.mark';

export interface SeqMarkRead {
  /** The highest valid slot's sequence number (0 when none). */
  seq: number;
  /** 'ok', 'missing' (first run or an outbox from before the mark), or 'damaged' (no valid slot). */
  state: 'ok' | 'missing' | 'damaged';
}

export function encodeSlot(seq: number): Buffer {
  const body = `mask-edge-seq ${String(seq).padStart(20, '0')}`;
  const line = `${body} ${crc32(body).toString(16).padStart(8, '0')}\n`;
  return Buffer.from(line.padEnd(SLOT, ' '));
}

export function decodeSlot(slot: Buffer): number | undefined {
  const m = /^(mask-edge-seq (\d{20})) ([0-9a-f]{8})\n/.exec(slot.toString('latin1'));
  if (!m || crc32(m[1]!) !== Number.parseInt(m[3]!, 16)) return undefined;
  const seq = Number(m[2]);
  return Number.isSafeInteger(seq) ? seq : undefined;
}

export class SeqMark {
  private handle: FileHandle | undefined;
  private slot = 0;
  private written = 0;
  readonly file: string;

  constructor(
    dir: string,
    private readonly fsync: boolean,
  ) {
    this.file = join(dir, FILE_NAME);
  }

  /** Reads the mark (never throws for a missing or damaged file) and keeps it open for writing. */
  async read(): Promise<SeqMarkRead> {
    let handle: FileHandle;
    try {
      handle = await open(this.file, 'r+');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { seq: 0, state: 'missing' };
      throw err;
    }
    const buf = Buffer.alloc(2 * SLOT);
    const { bytesRead } = await handle.read(buf, 0, buf.length, 0);
    const slots = [0, 1].map((i) =>
      bytesRead >= (i + 1) * SLOT ? decodeSlot(buf.subarray(i * SLOT, (i + 1) * SLOT)) : undefined,
    );
    if (bytesRead !== 2 * SLOT) {
      // A short file cannot be overwritten in place safely: it is recreated on the next write.
      await handle.close();
    } else {
      this.handle = handle;
    }
    const valid = slots.filter((s): s is number => s !== undefined);
    if (valid.length === 0) return { seq: 0, state: 'damaged' };
    const seq = Math.max(...valid);
    this.written = seq;
    // Overwrite the older (or broken) slot next.
    this.slot = slots[0] === seq ? 1 : 0;
    return { seq, state: 'ok' };
  }

  /** Records `seq` durably (no-op when not higher than what is recorded). Throws on an I/O error. */
  async write(seq: number): Promise<void> {
    if (seq <= this.written && this.handle) return;
    const handle = this.handle ?? (await this.create(seq));
    await handle.write(encodeSlot(seq), 0, SLOT, this.slot * SLOT);
    if (this.fsync) await handle.datasync();
    this.slot = 1 - this.slot;
    this.written = seq;
  }

  /** The highest seq recorded so far. */
  get recorded(): number {
    return this.written;
  }

  async close(): Promise<void> {
    const handle = this.handle;
    this.handle = undefined;
    await handle?.close();
  }

  /** Writes a whole new file (both slots), fsynced. May fail with ENOSPC on a full disk. */
  private async create(seq: number): Promise<FileHandle> {
    const handle = await open(this.file, 'w+', 0o600);
    try {
      const both = Buffer.concat([encodeSlot(seq), encodeSlot(seq)]);
      const { bytesWritten } = await handle.write(both, 0, both.length, 0);
      if (bytesWritten !== both.length) throw Object.assign(new Error('short write'), { code: 'ENOSPC' });
      await handle.sync();
    } catch (err) {
      await handle.close().catch(() => undefined);
      throw err;
    }
    this.handle = handle;
    this.slot = 0;
    return handle;
  }
}
