/**
 * A 16000x16000 photo must be refused from its header, before a 768 MB pixel buffer exists. Measured in a
 * child process (its peak RSS), against the same decode with sharp's own limit (268 MP) as the old
 * behaviour. The photo is a small JPEG whose frame header claims 16000x16000, so the test stays fast.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeImage, MAX_DECODE_PIXELS } from '../../src/core/image-io.js';
import { recordReliability } from '../helpers/reliability.js';
import { compileChild } from '../helpers/ts-child.js';

const SHARP_DEFAULT_LIMIT = 0x3fff * 0x3fff;

/** A JPEG of `w`x`h` real pixels whose SOF header claims `claimW`x`claimH`. */
async function jpegClaiming(claimW: number, claimH: number): Promise<Buffer> {
  const bytes = Buffer.from(
    await sharp({ create: { width: 64, height: 48, channels: 3, background: '#808080' } })
      .jpeg()
      .toBuffer(),
  );
  for (let i = 0; i < bytes.length - 9; i++) {
    if (bytes[i] === 0xff && (bytes[i + 1] === 0xc0 || bytes[i + 1] === 0xc2)) {
      bytes.writeUInt16BE(claimH, i + 5);
      bytes.writeUInt16BE(claimW, i + 7);
      return bytes;
    }
  }
  throw new Error('no SOF marker');
}

describe('decode pixel limit', () => {
  let dir: string;
  let huge: string;
  let child: string;
  const decodeIn = (limit: string) =>
    JSON.parse(
      execFileSync(process.execPath, [child, huge, limit], { encoding: 'utf8', timeout: 120_000 }),
    ) as {
      outcome: string;
      peakRssMb: number;
      rssAfterMb: number;
    };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'decode-limit-'));
    huge = join(dir, 'huge.jpg');
    writeFileSync(huge, await jpegClaiming(16_000, 16_000));
    child = compileChild(join(import.meta.dirname, 'decode-child.ts'));
  }, 120_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('refuses a 16000x16000 photo from its header (E_IMAGE) without allocating its pixels', async () => {
    await expect(decodeImage(huge)).rejects.toMatchObject({
      code: 'E_IMAGE',
      message: expect.stringMatching(/16000x16000 \(256 MP\), over the 50 MP decode limit/),
    });
    const limited = decodeIn('default');
    const old = decodeIn(String(SHARP_DEFAULT_LIMIT));
    recordReliability('hostile-input', {
      scenario: 'A 16000x16000 photo (256 MP) handed to the decoder',
      promise: 'refused from its header (E_IMAGE) without holding hundreds of MB',
      measured: `with the ${MAX_DECODE_PIXELS / 1e6} MP limit ${limited.outcome}, peak RSS ${limited.peakRssMb} MB, after ${limited.rssAfterMb} MB; before (sharp's 268 MP) ${old.outcome}, peak ${old.peakRssMb} MB, after ${old.rssAfterMb} MB`,
      test: 'test/core/decode-limit.test.ts',
    });
    expect(limited.outcome).toBe('E_IMAGE');
    expect(limited.peakRssMb).toBeLessThan(250);
    expect(limited.rssAfterMb).toBeLessThan(250);
  }, 120_000);

  it('still decodes ordinary photos, and a caller may lower the limit', async () => {
    const photo = await sharp({ create: { width: 320, height: 240, channels: 3, background: '#204080' } })
      .png()
      .toBuffer();
    await expect(decodeImage(photo)).resolves.toMatchObject({ width: 320, height: 240 });
    await expect(decodeImage(photo, 'small', { maxPixels: 10_000 })).rejects.toMatchObject({
      code: 'E_IMAGE',
    });
  });
});
