import sharp from 'sharp';
import { escapeXml, FONT_FAMILY, fmt } from './charts/svg.js';
import { MaskEdgeError } from './errors.js';
import type { Box, RgbImage } from './image-io.js';
import type { Label } from './labels.js';

/** Box colour per label: worn correctly green, incorrectly orange, no mask red. */
export const LABEL_COLOURS: Readonly<Record<Label, string>> = {
  correct: '#1a9850',
  incorrect: '#f28e1c',
  no_mask: '#d7191c',
};
const OTHER_COLOUR = '#2c7bb6';
/** Outline of a camera's zone. */
export const ZONE_COLOUR = '#ffd400';

export interface FaceAnnotation {
  box: Box;
  /** A mask label picks the colour; any other text (e.g. 'face', 'missed') is drawn in blue. */
  label: string;
  /** Shown after the label with two decimals, e.g. "no_mask 0.97". */
  score?: number;
  /** Replaces "label score" as the tag text. */
  text?: string;
  /** Overrides the label colour (CSS colour). */
  color?: string;
  /** Dashed outline, e.g. for ground-truth faces the detector missed. */
  dashed?: boolean;
}

export interface AnnotateOptions {
  format?: 'jpeg' | 'png';
  /** JPEG quality (default 85). */
  quality?: number;
  /** A caption in the bottom-left corner (e.g. camera id and time). */
  caption?: string;
  /** A zone polygon in pixels, drawn as a dashed yellow outline (faces outside it are ignored). */
  zone?: readonly (readonly [number, number])[];
}

/** Colour for a label: the mask-label colours, blue for anything else. */
export function labelColour(label: string): string {
  return (LABEL_COLOURS as Record<string, string>)[label] ?? OTHER_COLOUR;
}

/** Builds the transparent SVG overlay (boxes and tags) for an image of the given size. */
export function annotationSvg(
  width: number,
  height: number,
  faces: readonly FaceAnnotation[],
  caption?: string,
  zone?: readonly (readonly [number, number])[],
): string {
  const side = Math.min(width, height);
  const stroke = Math.max(2, Math.round(side / 220));
  const font = Math.max(11, Math.round(side / 38));
  const parts: string[] = [];
  if (zone && zone.length >= 3 && zone.every(([x, y]) => Number.isFinite(x) && Number.isFinite(y))) {
    const points = zone.map(([x, y]) => `${fmt(x)},${fmt(y)}`).join(' ');
    parts.push(
      `<polygon points="${points}" fill="${ZONE_COLOUR}" fill-opacity="0.08" stroke="${ZONE_COLOUR}" stroke-width="${stroke}" stroke-dasharray="${stroke * 4} ${stroke * 2}"/>`,
    );
  }
  for (const face of faces) {
    const { x, y, width: w, height: h } = face.box;
    if (![x, y, w, h].every(Number.isFinite) || w <= 0 || h <= 0) continue;
    const colour = face.color ?? labelColour(face.label);
    const dash = face.dashed ? ` stroke-dasharray="${stroke * 3} ${stroke * 2}"` : '';
    parts.push(
      `<rect x="${fmt(x)}" y="${fmt(y)}" width="${fmt(w)}" height="${fmt(h)}" fill="none" stroke="${colour}" stroke-width="${stroke}"${dash}/>`,
    );
    const text =
      face.text ?? (face.score === undefined ? face.label : `${face.label} ${face.score.toFixed(2)}`);
    if (!text) continue;
    const tagH = Math.round(font * 1.45);
    const tagW = Math.round(text.length * font * 0.64 + font * 1.0);
    // Above the box when there is room, else inside its top edge; kept inside the image horizontally.
    const tagY = y - tagH >= 0 ? y - tagH : Math.max(0, y);
    const tagX = Math.max(0, Math.min(x - stroke / 2, width - tagW));
    parts.push(
      `<rect x="${fmt(tagX)}" y="${fmt(tagY)}" width="${tagW}" height="${tagH}" fill="${colour}" fill-opacity="0.9"/>`,
      `<text x="${fmt(tagX + font * 0.4)}" y="${fmt(tagY + tagH * 0.74)}" font-family="${FONT_FAMILY}" font-size="${font}" font-weight="bold" fill="#ffffff">${escapeXml(text)}</text>`,
    );
  }
  if (caption) {
    const tagH = Math.round(font * 1.45);
    const tagW = Math.round(caption.length * font * 0.6 + font * 0.8);
    parts.push(
      `<rect x="0" y="${height - tagH}" width="${Math.min(width, tagW)}" height="${tagH}" fill="#000000" fill-opacity="0.6"/>`,
      `<text x="${fmt(font * 0.4)}" y="${fmt(height - tagH * 0.26)}" font-family="${FONT_FAMILY}" font-size="${font}" fill="#ffffff">${escapeXml(caption)}</text>`,
    );
  }
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">${parts.join('')}</svg>`;
}

/**
 * Draws face boxes with "label score" tags on a copy of the frame and encodes it (JPEG by default).
 * The input pixels are not modified.
 */
export async function annotateImage(
  image: RgbImage,
  faces: readonly FaceAnnotation[],
  options: AnnotateOptions = {},
): Promise<Buffer> {
  const { width, height, data } = image;
  if (!(width > 0 && height > 0) || data.length !== width * height * 3) {
    throw new MaskEdgeError('E_IMAGE', 'annotateImage needs RGB pixels of width x height x 3 bytes', {
      detail: { width, height, bytes: data.length },
    });
  }
  const overlay = Buffer.from(annotationSvg(width, height, faces, options.caption, options.zone));
  const pipeline = sharp(data, { raw: { width, height, channels: 3 } }).composite([
    { input: overlay, top: 0, left: 0 },
  ]);
  return options.format === 'png'
    ? pipeline.png().toBuffer()
    : pipeline.jpeg({ quality: options.quality ?? 85, mozjpeg: false }).toBuffer();
}
