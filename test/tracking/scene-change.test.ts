import { describe, expect, it } from 'vitest';
import type { RgbImage } from '../../src/core/image-io.js';
import { SceneChangeDetector } from '../../src/edge/tracking/scene-change.js';

function image(width: number, height: number, pixel: (x: number, y: number) => number): RgbImage {
  const data = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) data.fill(pixel(x, y), (y * width + x) * 3, (y * width + x) * 3 + 3);
  return { width, height, data } as unknown as RgbImage;
}

describe('SceneChangeDetector', () => {
  const room = image(160, 120, (x, y) => (x * 2 + y) % 256);
  it('keeps the scene while people move (small differences), cuts on another view', () => {
    const d = new SceneChangeDetector(0.25);
    expect(d.check(room)).toBeUndefined();
    // a person-sized patch changes: a few hundredths of mean difference
    const moved = image(160, 120, (x, y) => (x > 40 && x < 70 && y > 30 && y < 90 ? 20 : (x * 2 + y) % 256));
    expect(d.check(moved)).toBeUndefined();
    const otherView = image(160, 120, (x, y) => 255 - ((x * 2 + y) % 256));
    expect(d.check(otherView)).toBe('difference');
  });

  it('cuts on a new frame size or when the source says so; 0 turns the difference test off', () => {
    const d = new SceneChangeDetector(0);
    d.check(room);
    expect(d.check(image(160, 120, () => 0))).toBeUndefined();
    expect(d.check(image(80, 60, () => 0))).toBe('size');
    expect(
      d.check(
        image(80, 60, () => 0),
        true,
      ),
    ).toBe('source');
  });
});
