/**
 * Turns a frame into the detector's input tensor the way face-api feeds its own nets (NetInput.toBatchTensor
 * with isCenterInputs = false): the frame is padded at the bottom/right to a square of side max(width, height)
 * with the fill value, and that square is resized to size x size by bilinear interpolation with
 * tf.image.resizeBilinear's conventions (alignCorners = false, halfPixelCenters = false: output pixel o samples
 * source position o * side / size; the upper neighbour is clamped to the last row/column of the padded square),
 * in float, never rounded to bytes. The interpolated values are normalised straight into the NCHW float32
 * tensor as the model's metadata says. Pure JS over the RGB bytes: one pass, no intermediate image.
 * A non-square input (metadata `mask_edge.input_size` [height, width], e.g. [384, 512]) pads the frame to that aspect ratio
 * instead of a square, so a 4:3 frame fills a 512 x 384 input with no black band.
 */
import { MaskEdgeError } from '../../core/errors.js';
import type { RgbImage } from '../../core/image-io.js';
import type { DetectorContract } from './detector-contract.js';

export interface LetterboxedInput {
  /** NCHW float32, one image. */
  tensor: Float32Array;
  /** Frame pixels per input pixel along x and y (undo the scaling with these; equal: the square is scaled). */
  scaleX: number;
  scaleY: number;
}

/** Where output pixels sample along one axis: lower/upper source index (-1 = in the padding) and weight. */
interface AxisSampling {
  lo: Int32Array;
  hi: Int32Array;
  frac: Float32Array;
}

/**
 * Sampling positions along one axis: `size` outputs over a padded axis of `side` pixels of which the first
 * `extent` are the frame's. Float32 arithmetic for the position, as the tfjs kernels compute it.
 */
function axisSampling(size: number, side: number, extent: number, stride: number): AxisSampling {
  const ratio = Math.fround(side / size);
  const lo = new Int32Array(size);
  const hi = new Int32Array(size);
  const frac = new Float32Array(size);
  for (let o = 0; o < size; o++) {
    const source = Math.fround(o * ratio);
    const floor = Math.floor(source);
    const ceil = Math.min(side - 1, Math.ceil(source));
    lo[o] = floor < extent ? floor * stride : -1;
    hi[o] = ceil < extent ? ceil * stride : -1;
    frac[o] = Math.fround(source - floor);
  }
  return { lo, hi, frac };
}

function checkFrame(frame: RgbImage): void {
  const { width, height } = frame;
  if (!(width > 0 && height > 0) || frame.data.length !== width * height * 3) {
    throw new MaskEdgeError('E_IMAGE', `detector input frame is not ${width}x${height} RGB`, {
      detail: { width, height, bytes: frame.data.length },
    });
  }
}

/**
 * Pads `frame` bottom/right to the output's aspect ratio (a square for a square output; with `fill`), resizes it
 * bilinearly to width x height and writes channel c
 * of each output pixel, as interpolated value (0..255 floats) * gain[c] + offset[c], into plane c of `out`
 * (NCHW). `order` names the frame channel each plane takes (RGB: [0, 1, 2], BGR: [2, 1, 0]).
 * Returns frame pixels per output pixel along x and y (equal for a square output).
 * One pass over the output for all three planes; pixels whose four taps are all inside the frame (most of them)
 * take a branch-free path, the others (at the padding's edge) the general one. The arithmetic, and so every value,
 * is the same on both paths.
 */
function resizePadded(
  frame: RgbImage,
  size: number,
  outHeight: number,
  fill: number,
  out: Float32Array,
  gain: readonly number[],
  offset: readonly number[],
  order: readonly number[],
): { scaleX: number; scaleY: number } {
  checkFrame(frame);
  const { width, height, data } = frame;
  // The padded frame: a square of the longer side (face-api's), or for a non-square output the smallest
  // outHeight:size rectangle holding the frame.
  let sideX = Math.max(width, height);
  let sideY = sideX;
  if (outHeight !== size) {
    const scale = Math.max(width / size, height / outHeight);
    sideX = Math.max(width, Math.round(scale * size));
    sideY = Math.max(height, Math.round(scale * outHeight));
  }
  const xs = axisSampling(size, sideX, width, 3);
  const ys = axisSampling(outHeight, sideY, height, width * 3);
  const plane = size * outHeight;
  const [s0, s1, s2] = order as [number, number, number];
  const [k0, k1, k2] = gain as [number, number, number];
  const [o0, o1, o2] = offset as [number, number, number];
  // Columns [0, inner) have both horizontal taps inside the frame (the taps only grow along the axis).
  let inner = 0;
  while (inner < size && (xs.hi[inner] as number) >= 0) inner++;
  // The general path: any tap may be in the padding (-1), where it reads `fill`.
  const edgePixel = (row: number, ox: number, top: number, bottom: number, fy: number): void => {
    const left = xs.lo[ox] as number;
    const right = xs.hi[ox] as number;
    const fx = xs.frac[ox] as number;
    for (let c = 0; c < 3; c++) {
      const src = order[c] as number;
      let tl = fill;
      let tr = fill;
      let bl = fill;
      let br = fill;
      if (top >= 0) {
        if (left >= 0) tl = data[top + left + src] as number;
        if (right >= 0) tr = data[top + right + src] as number;
      }
      if (bottom >= 0) {
        if (left >= 0) bl = data[bottom + left + src] as number;
        if (right >= 0) br = data[bottom + right + src] as number;
      }
      const t = tl + (tr - tl) * fx;
      out[c * plane + row + ox] =
        (t + (bl + (br - bl) * fx - t) * fy) * (gain[c] as number) + (offset[c] as number);
    }
  };
  for (let oy = 0; oy < outHeight; oy++) {
    const top = ys.lo[oy] as number;
    const bottom = ys.hi[oy] as number;
    const fy = ys.frac[oy] as number;
    const row = oy * size;
    if (top < 0 && bottom < 0) {
      out.fill(fill * k0 + o0, row, row + size);
      out.fill(fill * k1 + o1, plane + row, plane + row + size);
      out.fill(fill * k2 + o2, 2 * plane + row, 2 * plane + row + size);
      continue;
    }
    let ox = 0;
    if (top >= 0 && bottom >= 0) {
      for (; ox < inner; ox++) {
        const left = xs.lo[ox] as number;
        const right = xs.hi[ox] as number;
        const fx = xs.frac[ox] as number;
        const a = top + left;
        const b = top + right;
        const c = bottom + left;
        const d = bottom + right;
        let tl = data[a + s0] as number;
        let tr = data[b + s0] as number;
        let bl = data[c + s0] as number;
        let br = data[d + s0] as number;
        let t = tl + (tr - tl) * fx;
        out[row + ox] = (t + (bl + (br - bl) * fx - t) * fy) * k0 + o0;
        tl = data[a + s1] as number;
        tr = data[b + s1] as number;
        bl = data[c + s1] as number;
        br = data[d + s1] as number;
        t = tl + (tr - tl) * fx;
        out[plane + row + ox] = (t + (bl + (br - bl) * fx - t) * fy) * k1 + o1;
        tl = data[a + s2] as number;
        tr = data[b + s2] as number;
        bl = data[c + s2] as number;
        br = data[d + s2] as number;
        t = tl + (tr - tl) * fx;
        out[2 * plane + row + ox] = (t + (bl + (br - bl) * fx - t) * fy) * k2 + o2;
      }
    }
    for (; ox < size; ox++) edgePixel(row, ox, top, bottom, fy);
  }
  return { scaleX: sideX / size, scaleY: sideY / outHeight };
}

/** The frame as the detector sees it, rounded to bytes (for pictures and for feeding other detectors). */
export async function letterboxImage(
  frame: RgbImage,
  size: number,
  fill = 0,
): Promise<{ image: RgbImage; scaleX: number; scaleY: number }> {
  const plane = size * size;
  const planes = new Float32Array(plane * 3);
  const { scaleX: scale } = resizePadded(frame, size, size, fill, planes, [1, 1, 1], [0, 0, 0], [0, 1, 2]);
  const out = new Uint8Array(plane * 3);
  for (let i = 0; i < plane; i++) {
    out[i * 3] = Math.round(planes[i] as number);
    out[i * 3 + 1] = Math.round(planes[plane + i] as number);
    out[i * 3 + 2] = Math.round(planes[2 * plane + i] as number);
  }
  return { image: { width: size, height: size, data: out }, scaleX: scale, scaleY: scale };
}

/**
 * The detector's input tensor for a frame: padded, resized and normalised in one pass. `into` (the input's
 * length) is written over instead of a new array: every element is written, so a reused buffer needs no clearing.
 */
export function letterbox(
  frame: RgbImage,
  contract: DetectorContract,
  into?: Float32Array,
): LetterboxedInput {
  const size = contract.inputSize;
  const length = size * contract.inputHeight * 3;
  if (into && into.length !== length) {
    throw new MaskEdgeError(
      'E_INTERNAL',
      `letterbox buffer holds ${into.length} values, the input ${length}`,
      {
        detail: { buffer: into.length, expected: length },
      },
    );
  }
  const tensor = into ?? new Float32Array(length);
  // (v * k - mean) / std per tensor channel, as v * gain + offset.
  const k = contract.scale ? 1 / 255 : 1;
  const gain = contract.std.map((s) => k / s);
  const offset = contract.mean.map((m, c) => -m / (contract.std[c] as number));
  const order = contract.colorOrder === 'BGR' ? [2, 1, 0] : [0, 1, 2];
  const { scaleX, scaleY } = resizePadded(
    frame,
    size,
    contract.inputHeight,
    contract.fill,
    tensor,
    gain,
    offset,
    order,
  );
  return { tensor, scaleX, scaleY };
}
