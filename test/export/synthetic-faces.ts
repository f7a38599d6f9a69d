/**
 * A small learnable stand-in for face crops (used where the shared data may be absent): a skin-coloured
 * disc on a noisy background, with a blue "mask" over nose+mouth (correct), over the chin only (incorrect)
 * or none (no_mask). Written as real PNG files in an ImageFolder layout so export reads them through
 * core/dataset like any dataset.
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';
import { normalise, type RgbImage } from '../../src/core/image-io.js';
import { LABELS } from '../../src/core/labels.js';

function rand(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

export function syntheticFace(labelIndex: number, seed: number, size: number): RgbImage {
  const r = rand(seed * 7919 + labelIndex * 104729 + 1);
  const data = new Uint8Array(size * size * 3);
  const cx = size * (0.45 + 0.1 * r());
  const cy = size * (0.45 + 0.1 * r());
  const rad = size * (0.3 + 0.08 * r());
  const skin = [190 + 50 * r(), 140 + 40 * r(), 110 + 40 * r()];
  const mask = [40 + 60 * r(), 90 + 60 * r(), 180 + 70 * r()];
  const maskTop = labelIndex === 0 ? cy - rad * 0.05 : cy + rad * 0.55;
  for (let y = 0; y < size; y++)
    for (let x = 0; x < size; x++) {
      const i = (y * size + x) * 3;
      const inFace = (x - cx) ** 2 + (y - cy) ** 2 < rad * rad;
      const inMask = inFace && labelIndex !== 2 && y > maskTop;
      const base = inMask ? mask : inFace ? skin : [80 * r() + 60, 80 * r() + 60, 80 * r() + 60];
      for (let c = 0; c < 3; c++) data[i + c] = Math.max(0, Math.min(255, base[c]! + (r() - 0.5) * 30));
    }
  return { width: size, height: size, data };
}

/** Writes `perLabel` PNGs per label under dir/<label>/; returns the folder. */
export async function writeSyntheticDataset(
  dir: string,
  perLabel: number,
  size: number,
  seedBase = 0,
): Promise<string> {
  for (const [li, label] of LABELS.entries()) {
    await mkdir(join(dir, label), { recursive: true });
    for (let k = 0; k < perLabel; k++) {
      const img = syntheticFace(li, seedBase + k, size);
      await sharp(Buffer.from(img.data), { raw: { width: size, height: size, channels: 3 } })
        .png()
        .toFile(join(dir, label, `${label}_${String(k).padStart(3, '0')}.png`));
    }
  }
  return dir;
}

/** NHWC normalised training batch (ImageNet mean/std) with one-hot labels. */
export function syntheticBatch(
  perLabel: number,
  size: number,
  seedBase: number,
): { x: Float32Array; y: Float32Array; n: number } {
  const n = perLabel * LABELS.length;
  const x = new Float32Array(n * size * size * 3);
  const y = new Float32Array(n * LABELS.length);
  let i = 0;
  for (let k = 0; k < perLabel; k++)
    for (let li = 0; li < LABELS.length; li++) {
      normalise(syntheticFace(li, seedBase + k, size), { layout: 'NHWC' }, x, i * size * size * 3);
      y[i * LABELS.length + li] = 1;
      i++;
    }
  return { x, y, n };
}
