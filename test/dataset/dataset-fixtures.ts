/** Generated dataset fixtures: real JPEG/PNG files written with sharp into a temp folder. */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import sharp from 'sharp';
import type { Box } from '../../src/core/image-io.js';

export function tempDir(prefix = 'mask-edge-data-'): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export type Rgb = [number, number, number];

/** A solid-colour photo with optional coloured rectangles, encoded by extension (.jpg/.png). */
export async function writePhoto(
  path: string,
  options: { width?: number; height?: number; background?: Rgb; rects?: { box: Box; color: Rgb }[] } = {},
): Promise<Buffer> {
  const { width = 64, height = 48, background = [20, 40, 200], rects = [] } = options;
  const data = Buffer.alloc(width * height * 3);
  for (let i = 0; i < width * height; i++) data.set(background, i * 3);
  for (const { box, color } of rects) {
    for (let y = box.y; y < box.y + box.height; y++) {
      for (let x = box.x; x < box.x + box.width; x++) data.set(color, (y * width + x) * 3);
    }
  }
  const img = sharp(data, { raw: { width, height, channels: 3 } });
  const bytes = path.toLowerCase().endsWith('.png')
    ? await img.png().toBuffer()
    : await img.jpeg({ quality: 95 }).toBuffer();
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, bytes);
  return bytes;
}

/** A small photo whose colour encodes `n`, so every generated file has different bytes. */
export function writeNumberedPhoto(path: string, n: number): Promise<Buffer> {
  return writePhoto(path, {
    width: 32,
    height: 32,
    background: [(n * 37) % 256, (n * 91) % 256, (n * 13) % 256],
  });
}

export interface VocObjectSpec {
  name: string;
  box: Box;
}

/** Writes a Pascal VOC annotation; `filename` is what <filename> says (may differ from the file on disk). */
export function writeVocXml(
  path: string,
  filename: string,
  size: { width: number; height: number },
  objects: VocObjectSpec[],
): void {
  const objs = objects
    .map(
      (o) => `  <object>
    <name>${o.name}</name>
    <pose>Unspecified</pose>
    <bndbox><xmin>${o.box.x}</xmin><ymin>${o.box.y}</ymin><xmax>${o.box.x + o.box.width}</xmax><ymax>${o.box.y + o.box.height}</ymax></bndbox>
  </object>`,
    )
    .join('\n');
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(
    path,
    `<annotation>
  <folder>images</folder>
  <filename>${filename}</filename>
  <size><width>${size.width}</width><height>${size.height}</height><depth>3</depth></size>
${objs}
</annotation>
`,
  );
}
