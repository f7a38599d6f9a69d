import sharp, { type OverlayOptions } from 'sharp';
import { svgText } from '../../core/charts/svg.js';
import type { RgbImage } from '../../core/image-io.js';
import type { Point } from './mask-placement.js';

/** One gallery row: a real face (with its landmarks drawn) and the masks drawn on it. */
export interface GalleryRow {
  title: string;
  face: RgbImage;
  landmarks: readonly Point[];
  cells: { caption: string; image: RgbImage | undefined }[];
}

const TILE = 128;
const CAPTION = 30;
const HEADER = 24;

/**
 * A PNG grid for checking where masks land: per row the real crop with its 68 landmarks (red) and one tile per
 * variant, captioned with the variant and template. Tiles are scaled to 128 px.
 */
export async function renderGallery(rows: GalleryRow[], columns: string[]): Promise<Buffer> {
  const cols = columns.length + 1;
  const width = cols * TILE;
  const height = HEADER + rows.length * (TILE + CAPTION);
  const parts: OverlayOptions[] = [];
  let svg = '';
  ['real face + landmarks', ...columns].forEach((name, c) => {
    svg += svgText(c * TILE + TILE / 2, 16, name, { size: 12, anchor: 'middle', weight: 'bold' });
  });
  for (let r = 0; r < rows.length; r++) {
    const row = rows[r] as GalleryRow;
    const top = HEADER + r * (TILE + CAPTION);
    parts.push({ input: await tile(row.face), left: 0, top });
    const k = TILE / Math.max(row.face.width, row.face.height);
    for (const p of row.landmarks) {
      svg += `<circle cx="${(p.x * k).toFixed(1)}" cy="${(top + p.y * k).toFixed(1)}" r="1.3" fill="#ff2020"/>`;
    }
    svg += svgText(TILE / 2, top + TILE + 12, row.title, { size: 9, anchor: 'middle' });
    row.cells.forEach((cell, i) => {
      const left = (i + 1) * TILE;
      svg += svgText(left + TILE / 2, top + TILE + 12, cell.caption, { size: 9, anchor: 'middle' });
    });
    for (let i = 0; i < row.cells.length; i++) {
      const cell = row.cells[i];
      if (cell?.image) parts.push({ input: await tile(cell.image), left: (i + 1) * TILE, top });
    }
  }
  const overlay = Buffer.from(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">${svg}</svg>`,
  );
  parts.push({ input: overlay, left: 0, top: 0 });
  return sharp({ create: { width, height, channels: 3, background: '#ffffff' } })
    .composite(parts)
    .png()
    .toBuffer();
}

async function tile(image: RgbImage): Promise<Buffer> {
  const k = TILE / Math.max(image.width, image.height);
  return sharp(image.data, { raw: { width: image.width, height: image.height, channels: 3 } })
    .resize(Math.max(1, Math.round(image.width * k)), Math.max(1, Math.round(image.height * k)), {
      kernel: 'linear',
    })
    .png()
    .toBuffer();
}
