import { MaskEdgeError } from '../../core/errors.js';

/** A single-channel float image, row-major. */
export interface GreyImage {
  width: number;
  height: number;
  data: Float32Array;
}

export interface HogOptions {
  /** Cell side in pixels (default 8). */
  cellSize?: number;
  /** Block side in cells (default 2); blocks step by one cell. */
  blockSize?: number;
  /** Orientation bins over 0..180 degrees (unsigned gradients; default 9). */
  bins?: number;
}

/** Luma (BT.601) of interleaved RGB bytes, scaled to 0..1. */
export function rgbToGrey(rgb: { width: number; height: number; data: Uint8Array }): GreyImage {
  const n = rgb.width * rgb.height;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    out[i] = (0.299 * rgb.data[i * 3]! + 0.587 * rgb.data[i * 3 + 1]! + 0.114 * rgb.data[i * 3 + 2]!) / 255;
  }
  return { width: rgb.width, height: rgb.height, data: out };
}

/** Length of the HOG vector for an image of the given size. */
export function hogLength(width: number, height: number, options: HogOptions = {}): number {
  const { cellSize = 8, blockSize = 2, bins = 9 } = options;
  const cx = Math.floor(width / cellSize);
  const cy = Math.floor(height / cellSize);
  return Math.max(0, cx - blockSize + 1) * Math.max(0, cy - blockSize + 1) * blockSize * blockSize * bins;
}

/**
 * Histogram of oriented gradients (Dalal & Triggs): central-difference gradients, magnitude-weighted
 * unsigned orientation histograms per cell with linear interpolation between neighbouring bins, and
 * overlapping blocks normalised with L2-Hys (L2, clip at 0.2, L2 again).
 */
export function hogFeatures(image: GreyImage, options: HogOptions = {}): Float32Array {
  const { cellSize = 8, blockSize = 2, bins = 9 } = options;
  const { width: w, height: h, data } = image;
  const cellsX = Math.floor(w / cellSize);
  const cellsY = Math.floor(h / cellSize);
  if (cellsX < blockSize || cellsY < blockSize || data.length !== w * h) {
    throw new MaskEdgeError('E_USAGE', 'image too small for HOG or pixel count does not match its size', {
      detail: { width: w, height: h, pixels: data.length, cellSize, blockSize },
    });
  }
  const hist = new Float32Array(cellsX * cellsY * bins);
  const binWidth = Math.PI / bins;
  for (let y = 0; y < cellsY * cellSize; y++) {
    const up = Math.max(0, y - 1) * w;
    const down = Math.min(h - 1, y + 1) * w;
    const cellRow = Math.floor(y / cellSize) * cellsX;
    for (let x = 0; x < cellsX * cellSize; x++) {
      const gx = data[y * w + Math.min(w - 1, x + 1)]! - data[y * w + Math.max(0, x - 1)]!;
      const gy = data[down + x]! - data[up + x]!;
      const mag = Math.sqrt(gx * gx + gy * gy);
      if (mag === 0) continue;
      let angle = Math.atan2(gy, gx);
      if (angle < 0) angle += Math.PI;
      if (angle >= Math.PI) angle -= Math.PI;
      // bin centres at (b + 0.5) * binWidth; split the vote between the two nearest centres
      const pos = angle / binWidth - 0.5;
      const lo = Math.floor(pos);
      const frac = pos - lo;
      const b0 = (lo + bins) % bins;
      const b1 = (lo + 1) % bins;
      const base = (cellRow + Math.floor(x / cellSize)) * bins;
      hist[base + b0]! += mag * (1 - frac);
      hist[base + b1]! += mag * frac;
    }
  }
  const blocksX = cellsX - blockSize + 1;
  const blocksY = cellsY - blockSize + 1;
  const blockLen = blockSize * blockSize * bins;
  const out = new Float32Array(blocksX * blocksY * blockLen);
  const block = new Float32Array(blockLen);
  let o = 0;
  for (let by = 0; by < blocksY; by++) {
    for (let bx = 0; bx < blocksX; bx++) {
      let k = 0;
      for (let cy = 0; cy < blockSize; cy++) {
        for (let cx = 0; cx < blockSize; cx++) {
          const base = ((by + cy) * cellsX + bx + cx) * bins;
          for (let b = 0; b < bins; b++) block[k++] = hist[base + b]!;
        }
      }
      l2Hys(block);
      out.set(block, o);
      o += blockLen;
    }
  }
  return out;
}

function l2Hys(v: Float32Array, clip = 0.2, eps = 1e-3): void {
  let norm = Math.sqrt(sumSquares(v) + eps * eps);
  for (let i = 0; i < v.length; i++) v[i] = Math.min(clip, v[i]! / norm);
  norm = Math.sqrt(sumSquares(v) + eps * eps);
  for (let i = 0; i < v.length; i++) v[i] = v[i]! / norm;
}

function sumSquares(v: Float32Array): number {
  let s = 0;
  for (const x of v) s += x * x;
  return s;
}
