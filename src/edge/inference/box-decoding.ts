/**
 * SSD anchor generation and box decoding (centre-size coding, Liu et al. 2016, TF Object Detection API
 * conventions): an anchor is (cy, cx, h, w) in [0, 1] input coordinates; an encoding (ty, tx, th, tw) decodes
 * to cy' = ty / sy * h + cy, cx' = tx / sx * w + cx, h' = exp(th / sh) * h, w' = exp(tw / sw) * w.
 */
import type { AnchorLayer, BoxAdjust, BoxCoding } from './detector-contract.js';

/**
 * Anchors as a flat Float32Array of (cy, cx, h, w) rows, normalised by the input size (x by the width, y by the
 * height), in the graph's order.
 */
export function generateAnchors(
  layers: readonly AnchorLayer[],
  inputSize: number,
  inputHeight: number = inputSize,
): Float32Array {
  const count = layers.reduce((n, l) => n + l.featureMap[0] * l.featureMap[1] * l.boxes.length, 0);
  const out = new Float32Array(count * 4);
  let k = 0;
  for (const layer of layers) {
    const [rows, cols] = layer.featureMap;
    for (let y = 0; y < rows; y++) {
      for (let x = 0; x < cols; x++) {
        for (const [h, w] of layer.boxes) {
          out[k++] = ((y + 0.5) * layer.stride) / inputHeight;
          out[k++] = ((x + 0.5) * layer.stride) / inputSize;
          out[k++] = h / inputHeight;
          out[k++] = w / inputSize;
        }
      }
    }
  }
  return out;
}

/** A box in normalised input coordinates (corners). */
export interface NormalisedBox {
  ymin: number;
  xmin: number;
  ymax: number;
  xmax: number;
}

/** Decodes the encoding of anchor `index`. */
export function decodeBox(
  encodings: Float32Array,
  anchors: Float32Array,
  index: number,
  scale: readonly [number, number, number, number],
): NormalisedBox {
  const o = index * 4;
  const cy = anchors[o] ?? 0;
  const cx = anchors[o + 1] ?? 0;
  const ah = anchors[o + 2] ?? 0;
  const aw = anchors[o + 3] ?? 0;
  const y = ((encodings[o] ?? 0) / scale[0]) * ah + cy;
  const x = ((encodings[o + 1] ?? 0) / scale[1]) * aw + cx;
  const h = Math.exp((encodings[o + 2] ?? 0) / scale[2]) * ah;
  const w = Math.exp((encodings[o + 3] ?? 0) / scale[3]) * aw;
  return { ymin: y - h / 2, xmin: x - w / 2, ymax: y + h / 2, xmax: x + w / 2 };
}

const sigmoid = (v: number) => 1 / (1 + Math.exp(-v));

/**
 * YOLO v2 decoding of row `index` (rows ordered grid row, grid column, anchor): centre = (cell + sigmoid(t)) /
 * grid, size = exp(t) * anchor / grid, anchors in grid cells as [w, h].
 */
export function decodeYoloBox(
  encodings: Float32Array,
  index: number,
  grid: readonly [number, number],
  anchors: readonly (readonly [number, number])[],
): NormalisedBox {
  const [rows, cols] = grid;
  const anchor = index % anchors.length;
  const cell = Math.floor(index / anchors.length);
  const row = Math.floor(cell / cols);
  const col = cell % cols;
  const [aw, ah] = anchors[anchor] ?? [1, 1];
  const o = index * 4;
  const cx = (col + sigmoid(encodings[o] ?? 0)) / cols;
  const cy = (row + sigmoid(encodings[o + 1] ?? 0)) / rows;
  const w = (Math.exp(encodings[o + 2] ?? 0) * aw) / cols;
  const h = (Math.exp(encodings[o + 3] ?? 0) * ah) / rows;
  return { ymin: cy - h / 2, xmin: cx - w / 2, ymax: cy + h / 2, xmax: cx + w / 2 };
}

/** A decoder for one model: how many rows its outputs have and how to decode row i. */
export function boxDecoder(
  coding: BoxCoding,
  inputSize: number,
  inputHeight: number = inputSize,
): { rows: number; decode: (encodings: Float32Array, index: number) => NormalisedBox } {
  if (coding.kind === 'yolo-v2') {
    return {
      rows: coding.grid[0] * coding.grid[1] * coding.anchors.length,
      decode: (e, i) => decodeYoloBox(e, i, coding.grid, coding.anchors),
    };
  }
  const anchors = generateAnchors(coding.layers, inputSize, inputHeight);
  return { rows: anchors.length / 4, decode: (e, i) => decodeBox(e, anchors, i, coding.scale) };
}

/** Moves and scales a box relative to its own size (cx += dx * w, cy += dy * h, w *= sw, h *= sh). */
export function adjustBox(b: NormalisedBox, adjust: BoxAdjust): NormalisedBox {
  if (adjust.dx === 0 && adjust.dy === 0 && adjust.sw === 1 && adjust.sh === 1) return b;
  const w = b.xmax - b.xmin;
  const h = b.ymax - b.ymin;
  const cx = (b.xmin + b.xmax) / 2 + adjust.dx * w;
  const cy = (b.ymin + b.ymax) / 2 + adjust.dy * h;
  const nw = w * adjust.sw;
  const nh = h * adjust.sh;
  return { ymin: cy - nh / 2, xmin: cx - nw / 2, ymax: cy + nh / 2, xmax: cx + nw / 2 };
}

/** The inverse of adjustBox: the box that `adjust` turns into `b` (what the unadjusted detector should give). */
export function unadjustBox(b: NormalisedBox, adjust: BoxAdjust): NormalisedBox {
  const w = (b.xmax - b.xmin) / adjust.sw;
  const h = (b.ymax - b.ymin) / adjust.sh;
  const cx = (b.xmin + b.xmax) / 2 - adjust.dx * w;
  const cy = (b.ymin + b.ymax) / 2 - adjust.dy * h;
  return { ymin: cy - h / 2, xmin: cx - w / 2, ymax: cy + h / 2, xmax: cx + w / 2 };
}
