import { describe, expect, it } from 'vitest';
import type { RgbImage } from '../../src/core/image-io.js';
import { SeededRandom } from '../../src/core/seeded-random.js';
import {
  augmentedImage,
  augmentedPixels,
  DEFAULT_AUGMENT,
  drawAugment,
  writeAugmented,
  writeAugmentedDraw,
} from '../../src/train/augment/augment-crop.js';

/** One smooth "face" rendered at any size: red grows left to right, green top to bottom, blue a bump. */
function face(size: number): RgbImage {
  const data = new Uint8Array(size * size * 3);
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const u = (x + 0.5) / size;
      const v = (y + 0.5) / size;
      const i = (y * size + x) * 3;
      data[i] = Math.round(40 + 180 * u);
      data[i + 1] = Math.round(30 + 200 * v);
      data[i + 2] = Math.round(60 + 150 * Math.exp(-((u - 0.3) ** 2 + (v - 0.6) ** 2) * 8));
    }
  }
  return { width: size, height: size, data };
}

describe('augmentation views at any size (--teacher-view augmented)', () => {
  it('one draw renders the same view of a face from its crop at two sizes', () => {
    const rng = new SeededRandom(12);
    for (let k = 0; k < 20; k++) {
      const d = { ...drawAugment(rng), blur: false };
      const small = augmentedPixels(face(32), 32, d);
      const big = augmentedPixels(face(64), 64, d);
      // 2x2 mean of the big view vs the small view
      let err = 0;
      for (let y = 0; y < 32; y++)
        for (let x = 0; x < 32; x++)
          for (let c = 0; c < 3; c++) {
            const at = (yy: number, xx: number) => big[(yy * 64 + xx) * 3 + c]!;
            const mean =
              (at(2 * y, 2 * x) + at(2 * y + 1, 2 * x) + at(2 * y, 2 * x + 1) + at(2 * y + 1, 2 * x + 1)) / 4;
            err += Math.abs(mean - small[(y * 32 + x) * 3 + c]!);
          }
      expect(err / (32 * 32 * 3), `draw ${k}`).toBeLessThan(0.02);
    }
  });

  it('a flipped draw mirrors the view; the 8-bit view matches the float one', () => {
    const d = { ...drawAugment(new SeededRandom(3)), flip: false, blur: false, cropW: 1, cropH: 1 };
    const plain = augmentedPixels(face(40), 40, d);
    const flipped = augmentedPixels(face(40), 40, { ...d, flip: true });
    expect(flipped[(5 * 40 + 39) * 3]).toBeCloseTo(plain[(5 * 40 + 0) * 3]!, 5);
    const img = augmentedImage(face(40), 40, d);
    expect(img.data[(7 * 40 + 9) * 3 + 1]).toBe(Math.round(plain[(7 * 40 + 9) * 3 + 1]! * 255));
  });

  it('writeAugmented draws the randomness it always drew (the student batch is unchanged)', () => {
    const a = new Float32Array(24 * 24 * 3);
    const b = new Float32Array(24 * 24 * 3);
    const r1 = new SeededRandom(5);
    const r2 = new SeededRandom(5);
    const flip = writeAugmented(face(24), 24, a, 0, r1, DEFAULT_AUGMENT);
    const d = writeAugmentedDraw(face(24), 24, b, 0, r2, DEFAULT_AUGMENT);
    expect(d.flip).toBe(flip);
    expect(Array.from(a)).toEqual(Array.from(b));
    // nine draws per view: crop area, ratio, x, y, flip, brightness, contrast, saturation, blur
    const r3 = new SeededRandom(5);
    for (let i = 0; i < 9; i++) r3.next();
    expect(r1.next()).toBe(r3.next());
  });
});
