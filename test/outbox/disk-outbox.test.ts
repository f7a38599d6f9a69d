import { spawn } from 'node:child_process';
import { appendFileSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DiskOutbox } from '../../src/edge/outbox/disk-outbox.js';
import { compileChild } from '../helpers/ts-child.js';

const tmp = () => mkdtempSync(join(tmpdir(), 'outbox-'));
const seqs = (o: DiskOutbox) => o.pendingFrom(0, 1e9).map((p) => p.seq);

describe('DiskOutbox', () => {
  it('keeps unacknowledged events across a reopen, in order, and continues the sequence', async () => {
    const dir = tmp();
    const a = await DiskOutbox.open({ dir });
    for (let i = 0; i < 5; i++) await a.append((seq) => ({ seq, i }));
    a.resolve(1);
    a.resolve(3);
    await a.close();
    const b = await DiskOutbox.open({ dir });
    expect(seqs(b)).toEqual([2, 4, 5]);
    expect(b.pendingFrom(4, 1)).toEqual([{ seq: 4, event: { seq: 4, i: 3 } }]);
    const next = await b.append((seq) => ({ seq }));
    expect(next.seq).toBe(6);
    await b.close();
  });

  it('remembers the sequence after every event was delivered and old segments were deleted', async () => {
    const dir = tmp();
    const a = await DiskOutbox.open({ dir, segmentBytes: 600 });
    for (let i = 0; i < 20; i++) {
      const e = await a.append((seq) => ({ seq, pad: 'p'.repeat(50) }));
      a.resolve(e.seq);
    }
    await a.close();
    expect(readdirSync(dir).filter((n) => n.endsWith('.seg')).length).toBeLessThan(3);
    const b = await DiskOutbox.open({ dir, segmentBytes: 600 });
    expect(b.size).toBe(0);
    expect(b.lastSeq).toBe(20);
    expect((await b.append((seq) => ({ seq }))).seq).toBe(21);
    await b.close();
  });

  it('drops the oldest events when full, counts the drops, and the drops survive a reopen', async () => {
    const dir = tmp();
    const a = await DiskOutbox.open({ dir, maxEvents: 3 });
    for (let i = 0; i < 5; i++) await a.append((seq) => ({ seq }));
    expect(seqs(a)).toEqual([3, 4, 5]);
    expect(a.stats()).toMatchObject({ queued: 3, dropped: 2, appended: 5 });
    await a.close();
    const b = await DiskOutbox.open({ dir, maxEvents: 2 });
    expect(seqs(b)).toEqual([4, 5]);
    expect(b.stats().dropped).toBe(1);
    await b.close();
  });

  it('skips a torn final line and a corrupted line instead of failing, and counts both as lost', async () => {
    const dir = tmp();
    const a = await DiskOutbox.open({ dir });
    await a.append((seq) => ({ seq }));
    await a.close();
    const seg = join(
      dir,
      readdirSync(dir)
        .filter((n) => n.endsWith('.seg'))
        .sort()
        .at(-1)!,
    );
    appendFileSync(seg, '00000000 {"t":"e","seq":2,"event":{}}\n'); // bad checksum
    appendFileSync(seg, '1a2b3c4d {"t":"e","se'); // torn write
    const b = await DiskOutbox.open({ dir });
    expect(seqs(b)).toEqual([1]);
    expect(b.stats().lostRecords).toBe(2);
    // seq.mark remembers that seq 1 was the last issued; the forged seq 2 was never issued by us.
    expect((await b.append((seq) => ({ seq }))).seq).toBe(2);
    await b.close();
    // The damaged segment was repaired when opened: the loss is reported once, not on every start.
    const c = await DiskOutbox.open({ dir });
    expect(c.stats().lostRecords).toBe(0);
    expect(seqs(c)).toEqual([1, 2]);
    await c.close();
  });

  it('rejects an unusable folder with its path', async () => {
    const file = join(tmp(), 'a-file');
    writeFileSync(file, 'not a folder');
    const dir = join(file, 'outbox');
    await expect(DiskOutbox.open({ dir })).rejects.toMatchObject({
      code: 'E_NOT_FOUND',
      detail: { path: dir },
    });
  });

  it('every event reported durable before SIGKILL is still there after restart', async () => {
    const script = compileChild(join(import.meta.dirname, 'outbox-child.ts'));
    const dir = tmp();
    const child = spawn(process.execPath, [script, dir], { stdio: ['ignore', 'pipe', 'inherit'] });
    const durable: number[] = [];
    let buffer = '';
    await new Promise<void>((resolve) => {
      child.stdout.on('data', (chunk: Buffer) => {
        buffer += chunk.toString();
        const lines = buffer.split('\n');
        buffer = lines.pop()!;
        for (const line of lines) {
          if (line.startsWith('durable ')) durable.push(Number(line.slice(8)));
        }
        if (durable.length >= 200) resolve();
      });
    });
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    const outbox = await DiskOutbox.open({ dir, maxEvents: 100_000 });
    const pending = new Set(seqs(outbox));
    const missing = durable.filter((s) => s % 3 !== 0 && !pending.has(s));
    expect(missing).toEqual([]);
    // A write torn by the kill held no event anyone was told about: nothing counts as lost.
    expect(outbox.stats().lostEvents).toBe(0);
    expect(outbox.lastSeq).toBeGreaterThanOrEqual(Math.max(...durable));
    const next = await outbox.append((seq) => ({ seq }));
    expect(next.seq).toBe(outbox.lastSeq);
    expect(next.seq).toBeGreaterThan(Math.max(...durable));
    await outbox.close();
  });
});
