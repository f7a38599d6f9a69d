import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeSlot, encodeSlot, SeqMark } from '../../src/edge/outbox/seq-mark.js';

const tmp = () => mkdtempSync(join(tmpdir(), 'seq-mark-'));

describe('seq.mark (the outbox high-water mark)', () => {
  it('is missing at first, then returns the highest seq written, alternating two slots in place', async () => {
    const dir = tmp();
    const a = new SeqMark(dir, true);
    expect(await a.read()).toEqual({ seq: 0, state: 'missing' });
    for (const seq of [3, 7, 12]) await a.write(seq);
    await a.write(5); // never goes back
    await a.close();
    expect(readFileSync(a.file).length).toBe(128);
    const b = new SeqMark(dir, true);
    expect(await b.read()).toEqual({ seq: 12, state: 'ok' });
    await b.close();
  });

  it('a torn slot falls back to the other one; both torn reads as damaged', async () => {
    const dir = tmp();
    const a = new SeqMark(dir, true);
    await a.write(41);
    await a.write(42);
    await a.close();
    const bytes = readFileSync(a.file);
    const newest = decodeSlot(bytes.subarray(0, 64)) === 42 ? 0 : 64;
    bytes.write('garbage!', newest + 20, 'latin1');
    writeFileSync(a.file, bytes);
    const b = new SeqMark(dir, true);
    expect(await b.read()).toEqual({ seq: 41, state: 'ok' });
    await b.write(43); // overwrites the torn slot, keeps 41 in the other
    await b.close();
    expect(await new SeqMark(dir, true).read()).toMatchObject({ seq: 43 });
    writeFileSync(a.file, Buffer.alloc(128, 0x41));
    expect(await new SeqMark(dir, true).read()).toEqual({ seq: 0, state: 'damaged' });
  });

  it('a slot carries its checksum', () => {
    const slot = encodeSlot(123456);
    expect(slot.length).toBe(64);
    expect(decodeSlot(slot)).toBe(123456);
    slot[20] = slot[20] === 0x31 ? 0x32 : 0x31;
    expect(decodeSlot(slot)).toBeUndefined();
  });
});
