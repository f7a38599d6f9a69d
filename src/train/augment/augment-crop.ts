import type { RgbImage } from '../../core/image-io.js';
import { IMAGENET_MEAN, IMAGENET_STD } from '../../core/image-io.js';
import type { SeededRandom } from '../../core/seeded-random.js';

/**
 * On-the-fly training augmentation on cached square crops, written straight into a normalised NHWC batch:
 * random resized crop (bilinear), horizontal flip, colour jitter (brightness, contrast, saturation) and an
 * occasional 3x3 blur. Validation/test inputs use `writeNormalised` only.
 */
export interface AugmentOptions {
  /** Area fraction range of the random crop. */
  scale: [number, number];
  /** Aspect ratio range of the random crop. */
  ratio: [number, number];
  flip: number;
  brightness: number;
  contrast: number;
  saturation: number;
  blur: number;
}

export const DEFAULT_AUGMENT: AugmentOptions = {
  scale: [0.7, 1],
  ratio: [0.85, 1.18],
  flip: 0.5,
  brightness: 0.25,
  contrast: 0.25,
  saturation: 0.25,
  blur: 0.15,
};

const INV_STD = IMAGENET_STD.map((s) => 1 / s);

/** (x/255 - mean)/std into out (NHWC) at offset; `flip` mirrors horizontally. */
export function writeNormalised(image: RgbImage, out: Float32Array, offset: number, flip = false): void {
  const { width, height, data } = image;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const src = (y * width + (flip ? width - 1 - x : x)) * 3;
      const dst = offset + (y * width + x) * 3;
      for (let c = 0; c < 3; c++)
        out[dst + c] = ((data[src + c] ?? 0) / 255 - IMAGENET_MEAN[c]!) * INV_STD[c]!;
    }
  }
}

/**
 * One random draw of the augmentation, independent of image size: the crop is given as fractions of the image,
 * so the same draw renders the same view of a face from its crop at any resolution (the student's 48 px crop and
 * a teacher's 112 or 150 px crop of the same box).
 */
export interface AugmentDraw {
  /** Crop width and height as fractions of the image side (at most 1). */
  cropW: number;
  cropH: number;
  /** Position of the crop in the free space, 0..1 (0 = left/top edge). */
  posX: number;
  posY: number;
  flip: boolean;
  brightness: number;
  contrast: number;
  saturation: number;
  blur: boolean;
}

/** Draws one augmentation from `rng` (the draws and their order are those the student batch always used). */
export function drawAugment(rng: SeededRandom, o: AugmentOptions = DEFAULT_AUGMENT): AugmentDraw {
  const area = rng.uniform(o.scale[0], o.scale[1]);
  const ratio = Math.exp(rng.uniform(Math.log(o.ratio[0]), Math.log(o.ratio[1])));
  const posX = rng.next();
  const posY = rng.next();
  const flip = rng.next() < o.flip;
  const brightness = 1 + rng.uniform(-o.brightness, o.brightness);
  const contrast = 1 + rng.uniform(-o.contrast, o.contrast);
  const saturation = 1 + rng.uniform(-o.saturation, o.saturation);
  const blur = rng.next() < o.blur;
  return {
    cropW: Math.min(1, Math.sqrt(area * ratio)),
    cropH: Math.min(1, Math.sqrt(area / ratio)),
    posX,
    posY,
    flip,
    brightness,
    contrast,
    saturation,
    blur,
  };
}

/**
 * The augmented view of a square-ish crop as size x size RGB in [0, 1]: bilinear crop + flip, brightness,
 * saturation and contrast, and a box blur whose radius is `blurRadius` pixels (1 at the student's size; scaled
 * with the output size for a teacher's larger view).
 */
export function augmentedPixels(image: RgbImage, size: number, d: AugmentDraw, blurRadius = 1): Float32Array {
  const { width: W, height: H, data } = image;
  const cw = W * d.cropW;
  const ch = H * d.cropH;
  const x0 = d.posX * (W - cw);
  const y0 = d.posY * (H - ch);
  const tmp = new Float32Array(size * size * 3);
  let sum = 0;
  for (let y = 0; y < size; y++) {
    const sy = Math.min(H - 1, Math.max(0, y0 + ((y + 0.5) * ch) / size - 0.5));
    const ya = Math.floor(sy);
    const yb = Math.min(H - 1, ya + 1);
    const fy = sy - ya;
    for (let x = 0; x < size; x++) {
      const xx = d.flip ? size - 1 - x : x;
      const sx = Math.min(W - 1, Math.max(0, x0 + ((xx + 0.5) * cw) / size - 0.5));
      const xa = Math.floor(sx);
      const xb = Math.min(W - 1, xa + 1);
      const fx = sx - xa;
      const i = (y * size + x) * 3;
      for (let c = 0; c < 3; c++) {
        const top = data[(ya * W + xa) * 3 + c]! * (1 - fx) + data[(ya * W + xb) * 3 + c]! * fx;
        const bot = data[(yb * W + xa) * 3 + c]! * (1 - fx) + data[(yb * W + xb) * 3 + c]! * fx;
        const v = ((top * (1 - fy) + bot * fy) / 255) * d.brightness;
        tmp[i + c] = v;
        sum += v;
      }
    }
  }
  const mean = sum / tmp.length;
  for (let i = 0; i < tmp.length; i += 3) {
    const grey = 0.299 * tmp[i]! + 0.587 * tmp[i + 1]! + 0.114 * tmp[i + 2]!;
    for (let c = 0; c < 3; c++) {
      let v = grey + (tmp[i + c]! - grey) * d.saturation;
      v = mean + (v - mean) * d.contrast;
      tmp[i + c] = Math.min(1, Math.max(0, v));
    }
  }
  return d.blur ? boxBlur(tmp, size, blurRadius) : tmp;
}

/** The augmented view as an 8-bit RGB image (what a frozen face-api backbone takes). */
export function augmentedImage(image: RgbImage, size: number, d: AugmentDraw, blurRadius = 1): RgbImage {
  const px = augmentedPixels(image, size, d, blurRadius);
  const data = new Uint8Array(px.length);
  for (let i = 0; i < px.length; i++) data[i] = Math.round(px[i]! * 255);
  return { width: size, height: size, data };
}

/** Writes one augmented, normalised copy of `image` (size x size) into out at offset. Returns the draw used. */
export function writeAugmentedDraw(
  image: RgbImage,
  size: number,
  out: Float32Array,
  offset: number,
  rng: SeededRandom,
  o: AugmentOptions = DEFAULT_AUGMENT,
): AugmentDraw {
  const d = drawAugment(rng, o);
  const src = augmentedPixels(image, size, d);
  for (let i = 0; i < src.length; i += 3) {
    for (let c = 0; c < 3; c++) out[offset + i + c] = (src[i + c]! - IMAGENET_MEAN[c]!) * INV_STD[c]!;
  }
  return d;
}

/** Writes one augmented, normalised copy of `image` (size x size) into out at offset. Returns whether it flipped. */
export function writeAugmented(
  image: RgbImage,
  size: number,
  out: Float32Array,
  offset: number,
  rng: SeededRandom,
  o: AugmentOptions = DEFAULT_AUGMENT,
): boolean {
  return writeAugmentedDraw(image, size, out, offset, rng, o).flip;
}

function boxBlur(img: Float32Array, size: number, radius: number): Float32Array {
  const out = new Float32Array(img.length);
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      for (let c = 0; c < 3; c++) {
        let acc = 0;
        let n = 0;
        for (let dy = -radius; dy <= radius; dy++) {
          const yy = y + dy;
          if (yy < 0 || yy >= size) continue;
          for (let dx = -radius; dx <= radius; dx++) {
            const xx = x + dx;
            if (xx < 0 || xx >= size) continue;
            acc += img[(yy * size + xx) * 3 + c]!;
            n++;
          }
        }
        out[(y * size + x) * 3 + c] = acc / n;
      }
    }
  }
  return out;
}
