/**
 * Turns a frame into the detector's input tensor: scaled to fit the square input (aspect kept), placed
 * top-left, the rest filled, normalised to NCHW float32 as the model's metadata says.
 */
import sharp from 'sharp';
import { MaskEdgeError } from '../../core/errors.js';
import { normalise, type RgbImage } from '../../core/image-io.js';
import type { DetectorContract } from './detector-contract.js';

export interface LetterboxedInput {
  /** NCHW float32, one image. */
  tensor: Float32Array;
  /** Frame pixels per input pixel along x and y (undo the scaling with these). */
  scaleX: number;
  scaleY: number;
}

/** The frame scaled to fit a size x size square, top-left, the rest filled with `fill` (uint8 RGB). */
export async function letterboxImage(
  frame: RgbImage,
  size: number,
  fill = 0,
): Promise<{ image: RgbImage; scaleX: number; scaleY: number }> {
  const { width, height } = frame;
  if (!(width > 0 && height > 0) || frame.data.length !== width * height * 3) {
    throw new MaskEdgeError('E_IMAGE', `detector input frame is not ${width}x${height} RGB`, {
      detail: { width, height, bytes: frame.data.length },
    });
  }
  if (width === size && height === size) return { image: frame, scaleX: 1, scaleY: 1 };
  const fit = size / Math.max(width, height);
  const contentWidth = Math.max(1, Math.min(size, Math.round(width * fit)));
  const contentHeight = Math.max(1, Math.min(size, Math.round(height * fit)));
  const data = await sharp(frame.data, { raw: { width, height, channels: 3 } })
    .resize(contentWidth, contentHeight, { fit: 'fill', kernel: 'linear' })
    .extend({
      right: size - contentWidth,
      bottom: size - contentHeight,
      background: { r: fill, g: fill, b: fill },
    })
    .raw()
    .toBuffer();
  return {
    image: { width: size, height: size, data: new Uint8Array(data.buffer, data.byteOffset, data.length) },
    scaleX: width / contentWidth,
    scaleY: height / contentHeight,
  };
}

export async function letterbox(frame: RgbImage, contract: DetectorContract): Promise<LetterboxedInput> {
  const { image, scaleX, scaleY } = await letterboxImage(frame, contract.inputSize, contract.fill);
  const tensor = normalise(image, {
    layout: 'NCHW',
    mean: contract.mean,
    std: contract.std,
    scale: contract.scale,
    colorOrder: contract.colorOrder,
  });
  return { tensor, scaleX, scaleY };
}
