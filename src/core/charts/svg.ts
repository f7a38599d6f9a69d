import sharp from 'sharp';
import { MaskEdgeError } from '../errors.js';

/**
 * Shared pieces of the SVG charts. Text is drawn by librsvg through fontconfig: any installed sans font
 * works (Debian: `fonts-dejavu-core`); without any font the charts still render, only without text.
 */
export const FONT_FAMILY = 'DejaVu Sans, Liberation Sans, Arial, Helvetica, sans-serif';

/** A colour-blind-friendly palette (Okabe–Ito), in the order series get it. */
export const PALETTE = [
  '#0072B2',
  '#E69F00',
  '#009E73',
  '#D55E00',
  '#CC79A7',
  '#56B4E9',
  '#F0E442',
  '#000000',
];

export function paletteColor(i: number): string {
  return PALETTE[i % PALETTE.length]!;
}

export function escapeXml(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;');
}

export interface TextOptions {
  size?: number;
  anchor?: 'start' | 'middle' | 'end';
  weight?: 'normal' | 'bold';
  color?: string;
  /** Rotation in degrees around (x, y). */
  rotate?: number;
  /** Vertical alignment of the text box around y. */
  baseline?: 'alphabetic' | 'middle' | 'hanging';
}

export function svgText(x: number, y: number, text: string, options: TextOptions = {}): string {
  const { size = 13, anchor = 'start', weight = 'normal', color = '#222', rotate, baseline } = options;
  // librsvg honours dominant-baseline only partially; shift by font metrics instead.
  const dy = baseline === 'middle' ? size * 0.35 : baseline === 'hanging' ? size * 0.8 : 0;
  const transform = rotate ? ` transform="rotate(${rotate} ${fmt(x)} ${fmt(y)})"` : '';
  return `<text x="${fmt(x)}" y="${fmt(y + dy)}" font-family="${FONT_FAMILY}" font-size="${size}" font-weight="${weight}" fill="${color}" text-anchor="${anchor}"${transform}>${escapeXml(text)}</text>`;
}

/** Short number formatting for SVG coordinates. */
export function fmt(v: number): string {
  return Number.isInteger(v) ? String(v) : v.toFixed(2);
}

/** "Nice" axis ticks (1, 2, 2.5, 5 x 10^k steps) covering [min, max]. */
export function niceTicks(
  min: number,
  max: number,
  target = 5,
): { ticks: number[]; min: number; max: number } {
  if (!Number.isFinite(min) || !Number.isFinite(max)) return { ticks: [0, 1], min: 0, max: 1 };
  if (max - min < 1e-12) {
    const pad = Math.abs(max) > 1e-12 ? Math.abs(max) * 0.1 : 1;
    min -= pad;
    max += pad;
  }
  const raw = (max - min) / Math.max(1, target);
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = ([1, 2, 2.5, 5, 10].find((m) => m * mag >= raw) ?? 10) * mag;
  const lo = Math.floor(min / step + 1e-9) * step;
  const hi = Math.ceil(max / step - 1e-9) * step;
  const ticks: number[] = [];
  for (let v = lo; v <= hi + step * 1e-6; v += step) ticks.push(Number(v.toPrecision(12)));
  return { ticks, min: lo, max: hi };
}

/** Formats a tick value with just enough decimals for the tick step. */
export function formatTick(v: number, step: number): string {
  let decimals = 0;
  while (decimals < 6 && Math.abs(Math.round(step * 10 ** decimals) - step * 10 ** decimals) > 1e-6)
    decimals++;
  return v.toFixed(decimals);
}

export function svgDocument(width: number, height: number, body: string, background = '#ffffff'): string {
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}"><rect width="${width}" height="${height}" fill="${background}"/>${body}</svg>`;
}

/** Renders an SVG string to an opaque PNG with sharp (librsvg). */
export async function svgToPng(svg: string): Promise<Buffer> {
  try {
    return await sharp(Buffer.from(svg), { density: 72 }).flatten({ background: '#ffffff' }).png().toBuffer();
  } catch (cause) {
    throw new MaskEdgeError('E_INTERNAL', `cannot render chart SVG: ${(cause as Error).message}`, {
      detail: { svgStart: svg.slice(0, 200) },
      cause,
    });
  }
}

export function checkSize(width: number, height: number): void {
  if (!(Number.isInteger(width) && Number.isInteger(height) && width >= 100 && height >= 80)) {
    throw new MaskEdgeError('E_USAGE', 'chart size must be integers of at least 100 x 80 pixels', {
      detail: { width, height },
    });
  }
}
