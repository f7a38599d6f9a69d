import { describe, expect, it } from 'vitest';
import { type Box, cropResizeLinear, type RgbImage } from '../../src/core/image-io.js';
import { SeededRandom } from '../../src/core/seeded-random.js';

/**
 * The triangle filter written out per output pixel, straight from its definition: for each output row, the
 * vertical taps in order, each weighting the horizontal taps' sum in order (the summation order of the separable
 * passes, so the two agree to the bit). Taps past the frame read black; weights are normalised over every tap.
 */
function referenceCrop(image: RgbImage, box: Box, size: number): Uint8Array {
  const taps = (origin: number, scale: number, o: number) => {
    const support = Math.max(1, scale);
    const centre = origin + (o + 0.5) * scale - 0.5;
    const first = Math.ceil(centre - support);
    const last = Math.floor(centre + support);
    const w: number[] = [];
    for (let p = first; p <= last; p++) w.push(Math.max(0, 1 - Math.abs(p - centre) / support));
    const sum = w.reduce((a, b) => a + b, 0) || 1;
    return w.map((v, k) => ({ at: first + k, w: v / sum }));
  };
  const out = new Uint8Array(size * size * 3);
  for (let oy = 0; oy < size; oy++) {
    const ty = taps(box.y, box.height / size, oy);
    for (let ox = 0; ox < size; ox++) {
      const tx = taps(box.x, box.width / size, ox);
      for (let c = 0; c < 3; c++) {
        let acc = 0;
        for (const { at: y, w: wy } of ty) {
          if (y < 0 || y >= image.height) continue;
          let row = 0;
          for (const { at: x, w: wx } of tx) {
            if (x < 0 || x >= image.width) continue;
            row += wx * image.data[(y * image.width + x) * 3 + c]!;
          }
          acc += wy * row;
        }
        out[(oy * size + ox) * 3 + c] = Math.min(255, Math.max(0, Math.round(acc)));
      }
    }
  }
  return out;
}

describe('cropResizeLinear against the filter written out per pixel', () => {
  it('gives the same bytes for boxes inside, across and past every edge, shrinking and enlarging', () => {
    const rng = new SeededRandom(7);
    const image = { width: 97, height: 61, data: new Uint8Array(97 * 61 * 3) };
    for (let i = 0; i < image.data.length; i++) image.data[i] = Math.floor(rng.next() * 256);
    const boxes: Box[] = [
      { x: 10, y: 5, width: 40, height: 30 },
      { x: -20.5, y: -7.25, width: 60, height: 50 },
      { x: 70.3, y: 40.7, width: 45, height: 33 },
      { x: -200, y: 10, width: 50, height: 20 }, // wholly outside: black
      { x: 3.5, y: 2.5, width: 6, height: 9 }, // enlarging
      { x: 0, y: 0, width: 97, height: 61 },
    ];
    for (let i = 0; i < 20; i++) {
      const w = 2 + rng.next() * 140;
      boxes.push({
        x: rng.next() * 140 - 40,
        y: rng.next() * 100 - 30,
        width: w,
        height: w * (0.6 + rng.next()),
      });
    }
    for (const box of boxes)
      for (const size of [1, 7, 48]) {
        expect(
          Buffer.from(cropResizeLinear(image, box, size).data).equals(
            Buffer.from(referenceCrop(image, box, size)),
          ),
          JSON.stringify({ box, size }),
        ).toBe(true);
      }
  });
});
