import { readFile } from 'node:fs/promises';
import sharp from 'sharp';
import { MaskEdgeError } from './errors.js';

/** Interleaved 8-bit RGB pixels, row-major (HWC). */
export interface RgbImage {
  width: number;
  height: number;
  data: Uint8Array;
}

/** An axis-aligned box in pixels: x, y = top-left corner. */
export interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** ImageNet statistics, used by the reference pipeline and by our default models. */
export const IMAGENET_MEAN: readonly [number, number, number] = [0.485, 0.456, 0.406];
export const IMAGENET_STD: readonly [number, number, number] = [0.229, 0.224, 0.225];

/**
 * Most pixels decoded from one photo: 50 MP (an 8K frame is 33 MP, a 48 MP phone photo fits), i.e. at most
 * 150 MB of RGB. Larger images are refused from their header, before any pixel buffer exists: a 16000x16000
 * photo would otherwise take 768 MB (sharp's own limit is 268 MP).
 */
export const MAX_DECODE_PIXELS = 50_000_000;

export interface DecodeOptions {
  /** Refuse images with more pixels than this (default MAX_DECODE_PIXELS). */
  maxPixels?: number;
}

/**
 * Decodes an image file or buffer to RGB, applying the EXIF orientation so pixels are upright.
 * Unreadable or truncated files, and images over the pixel limit, raise E_IMAGE with the path.
 */
export async function decodeImage(
  input: string | Buffer,
  label = typeof input === 'string' ? input : 'buffer',
  options: DecodeOptions = {},
): Promise<RgbImage> {
  const maxPixels = options.maxPixels ?? MAX_DECODE_PIXELS;
  let bytes: Buffer;
  if (typeof input === 'string') {
    try {
      bytes = await readFile(input);
    } catch (cause) {
      throw new MaskEdgeError('E_NOT_FOUND', `image not readable: ${input}`, {
        detail: { path: input },
        cause,
      });
    }
  } else {
    bytes = input;
  }
  // The header alone tells the size: refuse a huge image before a pixel is decoded.
  const header = await sharp(bytes)
    .metadata()
    .catch(() => undefined);
  if (header?.width && header.height && header.width * header.height > maxPixels) {
    throw new MaskEdgeError(
      'E_IMAGE',
      `image ${label} is ${header.width}x${header.height} (${Math.round((header.width * header.height) / 1e6)} MP), over the ${Math.round(maxPixels / 1e6)} MP decode limit`,
      { detail: { path: label, width: header.width, height: header.height, maxPixels } },
    );
  }
  try {
    const { data, info } = await sharp(bytes, { failOn: 'truncated', limitInputPixels: maxPixels })
      .rotate()
      .removeAlpha()
      .toColourspace('srgb')
      .raw()
      .toBuffer({ resolveWithObject: true });
    if (info.channels !== 3) {
      throw new Error(`expected 3 channels after conversion, got ${info.channels}`);
    }
    return {
      width: info.width,
      height: info.height,
      data: new Uint8Array(data.buffer, data.byteOffset, data.length),
    };
  } catch (cause) {
    throw new MaskEdgeError('E_IMAGE', `cannot decode image ${label}: ${(cause as Error).message}`, {
      detail: { path: label },
      cause,
    });
  }
}

/** Intersection over union of two boxes (0 when they do not overlap). */
export function boxIou(a: Box, b: Box): number {
  const iw = Math.min(a.x + a.width, b.x + b.width) - Math.max(a.x, b.x);
  const ih = Math.min(a.y + a.height, b.y + b.height) - Math.max(a.y, b.y);
  if (iw <= 0 || ih <= 0) return 0;
  const inter = iw * ih;
  const union = a.width * a.height + b.width * b.height - inter;
  return union > 0 ? inter / union : 0;
}

/**
 * Grows a box by `margin` (a fraction of its size on each side), squares it if asked, and clips it to the image.
 */
export function expandBox(
  box: Box,
  imageWidth: number,
  imageHeight: number,
  margin = 0,
  square = false,
): Box {
  let { x, y, width, height } = box;
  x -= width * margin;
  y -= height * margin;
  width *= 1 + 2 * margin;
  height *= 1 + 2 * margin;
  if (square) {
    const side = Math.max(width, height);
    x -= (side - width) / 2;
    y -= (side - height) / 2;
    width = side;
    height = side;
  }
  const x0 = Math.max(0, Math.floor(x));
  const y0 = Math.max(0, Math.floor(y));
  const x1 = Math.min(imageWidth, Math.ceil(x + width));
  const y1 = Math.min(imageHeight, Math.ceil(y + height));
  return { x: x0, y: y0, width: Math.max(1, x1 - x0), height: Math.max(1, y1 - y0) };
}

/** Crops a region (clipped to the image) out of an RGB image. Pure JS: cheap for small face crops. */
export function cropRgb(image: RgbImage, box: Box): RgbImage {
  const clipped = expandBox(box, image.width, image.height, 0, false);
  const out = new Uint8Array(clipped.width * clipped.height * 3);
  for (let row = 0; row < clipped.height; row++) {
    const src = ((clipped.y + row) * image.width + clipped.x) * 3;
    out.set(image.data.subarray(src, src + clipped.width * 3), row * clipped.width * 3);
  }
  return { width: clipped.width, height: clipped.height, data: out };
}

/**
 * Source pixels and weights of each output pixel along one axis (triangle filter). Weights are normalised over
 * every tap, then the taps outside [0, limit) are dropped: they read black (0) and add nothing. Flat typed arrays:
 * output o reads `count[o]` pixels from `first[o]` with weights `weights[offset[o]...]`.
 */
interface AxisTaps {
  first: Int32Array;
  count: Int32Array;
  offset: Int32Array;
  weights: Float64Array;
}

function linearTaps(origin: number, scale: number, n: number, limit: number): AxisTaps {
  const support = Math.max(1, scale);
  const first = new Int32Array(n);
  const count = new Int32Array(n);
  const offset = new Int32Array(n);
  const flat: number[] = [];
  for (let o = 0; o < n; o++) {
    const centre = origin + (o + 0.5) * scale - 0.5;
    const lo = Math.ceil(centre - support);
    const taps = Math.max(0, Math.floor(centre + support) - lo + 1);
    let sum = 0;
    for (let k = 0; k < taps; k++) sum += Math.max(0, 1 - Math.abs(lo + k - centre) / support);
    const from = Math.max(0, -lo);
    const to = Math.min(taps, limit - lo);
    first[o] = lo + from;
    count[o] = Math.max(0, to - from);
    offset[o] = flat.length;
    for (let k = from; k < to; k++)
      flat.push(Math.max(0, 1 - Math.abs(lo + k - centre) / support) / (sum || 1));
  }
  return { first, count, offset, weights: Float64Array.from(flat) };
}

/**
 * Crops `box` (which may extend past the frame: black there) and resizes it to size x size with a separable
 * triangle (linear) filter whose support grows with the shrink factor, so downscaling averages instead of aliasing.
 * Pure JS: for many small crops per frame it is several times cheaper than a sharp call each (measured in
 * bench/face-verifier-cost.mjs); the face verifier's training and runtime both use it. The taps are precomputed
 * per axis with the out-of-frame ones dropped, so the inner loops carry no bounds checks.
 */
export function cropResizeLinear(image: RgbImage, box: Box, size: number): RgbImage {
  const { width, height, data } = image;
  const xs = linearTaps(box.x, box.width / size, size, width);
  const ys = linearTaps(box.y, box.height / size, size, height);
  let rowLo = height;
  let rowHi = -1;
  for (let o = 0; o < size; o++) {
    if (ys.count[o]! === 0) continue;
    rowLo = Math.min(rowLo, ys.first[o]!);
    rowHi = Math.max(rowHi, ys.first[o]! + ys.count[o]! - 1);
  }
  const line = size * 3;
  // Horizontal pass over the source rows the vertical taps need.
  const rows = new Float64Array(Math.max(0, rowHi - rowLo + 1) * line);
  for (let y = rowLo; y <= rowHi; y++) {
    const base = (y - rowLo) * line;
    const src = y * width * 3;
    for (let o = 0; o < size; o++) {
      const n = xs.count[o]!;
      const w0 = xs.offset[o]!;
      let i = src + xs.first[o]! * 3;
      let r = 0;
      let g = 0;
      let b = 0;
      for (let k = 0; k < n; k++, i += 3) {
        const w = xs.weights[w0 + k]!;
        r += w * data[i]!;
        g += w * data[i + 1]!;
        b += w * data[i + 2]!;
      }
      rows[base + o * 3] = r;
      rows[base + o * 3 + 1] = g;
      rows[base + o * 3 + 2] = b;
    }
  }
  const out = new Uint8Array(size * line);
  const acc = new Float64Array(line);
  for (let oy = 0; oy < size; oy++) {
    const n = ys.count[oy]!;
    const w0 = ys.offset[oy]!;
    acc.fill(0);
    for (let k = 0; k < n; k++) {
      const w = ys.weights[w0 + k]!;
      const base = (ys.first[oy]! + k - rowLo) * line;
      for (let i = 0; i < line; i++) acc[i]! += w * rows[base + i]!;
    }
    const at = oy * line;
    for (let i = 0; i < line; i++) out[at + i] = Math.min(255, Math.max(0, Math.round(acc[i]!)));
  }
  return { width: size, height: size, data: out };
}

/** Resizes RGB pixels with sharp (bilinear-ish 'cubic' kernel by default; exact size, no aspect preservation). */
export async function resizeRgb(image: RgbImage, width: number, height: number): Promise<RgbImage> {
  if (image.width === width && image.height === height) return image;
  const data = await sharp(image.data, { raw: { width: image.width, height: image.height, channels: 3 } })
    .resize(width, height, { fit: 'fill', kernel: 'linear' })
    .raw()
    .toBuffer();
  return { width, height, data: new Uint8Array(data.buffer, data.byteOffset, data.length) };
}

/**
 * Crops a box with margin (squared, clipped) and resizes it to size x size with cropResizeLinear: the one crop
 * function of the classifier's training crops (loadCrops) and of the agent, so both see the same pixels. Pure JS:
 * for a few faces per frame it costs a fraction of a sharp call each (bench/crop-cost.mjs).
 */
export function cropFace(image: RgbImage, box: Box, size: number, margin = 0.15): RgbImage {
  return cropResizeLinear(image, expandBox(box, image.width, image.height, margin, true), size);
}

export type Layout = 'NCHW' | 'NHWC';

export interface NormaliseOptions {
  layout?: Layout;
  mean?: readonly number[];
  std?: readonly number[];
  /** Divide by 255 before mean/std (default true). */
  scale?: boolean;
  /** 'RGB' (default) or 'BGR' channel order. */
  colorOrder?: 'RGB' | 'BGR';
}

/**
 * Converts RGB bytes to float32 ((x/255 - mean) / std), in NCHW or NHWC order, written into `out` at `offset`
 * when given (for batching without copies).
 */
export function normalise(
  image: RgbImage,
  options: NormaliseOptions = {},
  out?: Float32Array,
  offset = 0,
): Float32Array {
  const {
    layout = 'NCHW',
    mean = IMAGENET_MEAN,
    std = IMAGENET_STD,
    scale = true,
    colorOrder = 'RGB',
  } = options;
  const plane = image.width * image.height;
  const target = out ?? new Float32Array(plane * 3);
  const k = scale ? 1 / 255 : 1;
  for (let c = 0; c < 3; c++) {
    const srcC = colorOrder === 'BGR' ? 2 - c : c;
    const m = mean[c] ?? 0;
    const s = std[c] ?? 1;
    for (let i = 0; i < plane; i++) {
      const v = ((image.data[i * 3 + srcC] ?? 0) * k - m) / s;
      if (layout === 'NCHW') target[offset + c * plane + i] = v;
      else target[offset + i * 3 + c] = v;
    }
  }
  return target;
}

/** Encodes RGB pixels as JPEG or PNG. */
export async function encodeImage(
  image: RgbImage,
  format: 'jpeg' | 'png' = 'jpeg',
  quality = 90,
): Promise<Buffer> {
  const pipeline = sharp(image.data, { raw: { width: image.width, height: image.height, channels: 3 } });
  return format === 'png' ? pipeline.png().toBuffer() : pipeline.jpeg({ quality }).toBuffer();
}
