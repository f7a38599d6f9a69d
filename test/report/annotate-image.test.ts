import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { annotateImage, labelColour } from '../../src/core/annotate-image.js';
import type { RgbImage } from '../../src/core/image-io.js';

function greyImage(width: number, height: number, value = 128): RgbImage {
  return { width, height, data: new Uint8Array(width * height * 3).fill(value) };
}

async function decode(buf: Buffer) {
  const { data, info } = await sharp(buf).raw().toBuffer({ resolveWithObject: true });
  return { data, width: info.width, height: info.height, channels: info.channels };
}

function maxDiff(
  a: { data: Uint8Array | Buffer; width: number; channels: number },
  b: RgbImage,
  x0: number,
  y0: number,
  x1: number,
  y1: number,
) {
  let m = 0;
  for (let y = y0; y < y1; y++) {
    for (let x = x0; x < x1; x++) {
      for (let c = 0; c < 3; c++) {
        m = Math.max(
          m,
          Math.abs(a.data[(y * a.width + x) * a.channels + c]! - b.data[(y * b.width + x) * 3 + c]!),
        );
      }
    }
  }
  return m;
}

describe('annotateImage', () => {
  it('draws the box outline and tag in the label colour and leaves far pixels alone', async () => {
    const img = greyImage(320, 240);
    const before = Uint8Array.from(img.data);
    const png = await annotateImage(
      img,
      [{ box: { x: 100, y: 80, width: 80, height: 90 }, label: 'no_mask', score: 0.93 }],
      {
        format: 'png',
      },
    );
    expect(img.data).toEqual(before); // input untouched
    const out = await decode(png);
    expect([out.width, out.height]).toEqual([320, 240]);
    // left edge of the box: red
    const p = (x: number, y: number) =>
      [0, 1, 2].map((c) => out.data[(y * out.width + x) * out.channels + c]!);
    const [r, g, b] = p(100, 130);
    expect(r).toBeGreaterThan(180);
    expect(g).toBeLessThan(80);
    expect(b).toBeLessThan(80);
    expect(labelColour('no_mask')).toBe('#d7191c');
    // the tag sits above the box
    expect(maxDiff(out, img, 100, 60, 160, 79)).toBeGreaterThan(60);
    // box interior and far regions unchanged
    expect(maxDiff(out, img, 110, 95, 170, 160)).toBe(0);
    expect(maxDiff(out, img, 250, 10, 320, 60)).toBe(0);
    expect(maxDiff(out, img, 0, 200, 60, 240)).toBe(0);
  });

  it('uses green for correct, orange for incorrect, and encodes JPEG by default', async () => {
    const img = greyImage(200, 100, 255);
    const jpg = await annotateImage(img, [
      { box: { x: 10, y: 30, width: 60, height: 60 }, label: 'correct' },
      { box: { x: 120, y: 30, width: 60, height: 60 }, label: 'incorrect', score: 0.5 },
    ]);
    expect((await sharp(jpg).metadata()).format).toBe('jpeg');
    const out = await decode(jpg);
    const px = (x: number, y: number) =>
      [0, 1, 2].map((c) => out.data[(y * out.width + x) * out.channels + c]!);
    const green = px(10, 60);
    expect(green[1]).toBeGreaterThan(green[0]! + 60);
    const orange = px(120, 60);
    expect(orange[0]).toBeGreaterThan(200);
    expect(orange[2]).toBeLessThan(100);
  });

  it('rejects pixel buffers that do not match the size', async () => {
    await expect(annotateImage({ width: 10, height: 10, data: new Uint8Array(5) }, [])).rejects.toMatchObject(
      {
        code: 'E_IMAGE',
      },
    );
  });
});
