/**
 * Outbox segment files on disk: listing and reading them (every line checked, unreadable ones counted),
 * repairing a damaged one (rewritten with only its readable records, atomically), and writing a buffer
 * completely or not at all.
 */
import { type FileHandle, open, readdir, readFile, rename, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { decodeRecord, type OutboxRecord } from './outbox-record.js';

const SEGMENT_RE = /^(\d{12})\.seg$/;

export interface ScannedSegment {
  id: number;
  file: string;
  records: OutboxRecord[];
  /** Lines that are not a valid record: a torn write, a bad checksum, foreign bytes. */
  unreadable: number;
  /** The readable lines, as they were (for a repair). */
  readableText: string;
}

export function segmentFile(dir: string, id: number): string {
  return join(dir, `${String(id).padStart(12, '0')}.seg`);
}

/** Every segment in `dir`, oldest first, with its readable records and how many lines were unreadable. */
export async function scanSegments(dir: string): Promise<ScannedSegment[]> {
  const names = (await readdir(dir)).filter((n) => SEGMENT_RE.test(n)).sort();
  const out: ScannedSegment[] = [];
  for (const name of names) {
    const file = join(dir, name);
    const text = (await readFile(file)).toString('utf8');
    const records: OutboxRecord[] = [];
    const readable: string[] = [];
    let unreadable = 0;
    for (const line of text.split('\n')) {
      if (line === '') continue;
      const record = decodeRecord(line);
      if (record) {
        records.push(record);
        readable.push(`${line}\n`);
      } else {
        unreadable += 1;
      }
    }
    out.push({
      id: Number(SEGMENT_RE.exec(name)![1]),
      file,
      records,
      unreadable,
      readableText: readable.join(''),
    });
  }
  return out;
}

/** Replaces a damaged segment by its readable records (temp file, fsync, rename, fsync the folder). */
export async function repairSegment(dir: string, segment: ScannedSegment): Promise<void> {
  const tmp = `${segment.file}.repair`;
  try {
    const handle = await open(tmp, 'w', 0o600);
    try {
      await writeFully(handle, Buffer.from(segment.readableText));
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(tmp, segment.file);
    await syncDir(dir);
  } catch (err) {
    await unlink(tmp).catch(() => undefined);
    throw err;
  }
}

/** Writes all of `buf` at the end of the file; a short write that makes no progress is ENOSPC. */
export async function writeFully(handle: FileHandle, buf: Buffer): Promise<void> {
  let offset = 0;
  while (offset < buf.length) {
    const { bytesWritten } = await handle.write(buf, offset, buf.length - offset);
    if (bytesWritten <= 0) {
      throw Object.assign(new Error('ENOSPC: no space left on device (short write)'), { code: 'ENOSPC' });
    }
    offset += bytesWritten;
  }
}

export async function unlinkIfPresent(file: string): Promise<void> {
  await unlink(file).catch((err: NodeJS.ErrnoException) => {
    if (err.code !== 'ENOENT') throw err;
  });
}

export async function syncDir(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
