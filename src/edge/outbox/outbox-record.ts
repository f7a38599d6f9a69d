/**
 * One line of an outbox segment file: `<crc32 as 8 hex digits> <json>\n`. The checksum lets a reader tell a
 * torn or corrupted write (power loss mid-append, SIGKILL between write and fsync) from a valid record.
 */
import { crc32 } from 'node:zlib';

export type OutboxRecord =
  /** Segment header: the last sequence number issued before this segment started. */
  | { t: 'h'; lastSeq: number }
  /** An event to deliver, with its sequence number. */
  | { t: 'e'; seq: number; event: unknown }
  /** The broker acknowledged the event: it leaves the outbox. */
  | { t: 'a'; seq: number }
  /** The event was dropped because the outbox was full (policy drop-oldest). */
  | { t: 'd'; seq: number };

export function encodeRecord(record: OutboxRecord): string {
  const json = JSON.stringify(record);
  return `${crc32(json).toString(16).padStart(8, '0')} ${json}\n`;
}

/** Parses one line (without its newline); undefined when torn, corrupt or unknown. */
export function decodeRecord(line: string): OutboxRecord | undefined {
  if (line.length < 10 || line[8] !== ' ') return undefined;
  const json = line.slice(9);
  const expected = Number.parseInt(line.slice(0, 8), 16);
  if (!Number.isFinite(expected) || crc32(json) !== expected) return undefined;
  try {
    const value = JSON.parse(json) as OutboxRecord;
    if (value.t === 'h' && Number.isInteger(value.lastSeq)) return value;
    if ((value.t === 'e' || value.t === 'a' || value.t === 'd') && Number.isInteger(value.seq)) return value;
  } catch {
    return undefined;
  }
  return undefined;
}
