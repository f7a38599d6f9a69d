import { readFile } from 'node:fs/promises';
import { basename, extname, join } from 'node:path';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { MaskEdgeError } from '../errors.js';
import type { Box } from '../image-io.js';
import { isImageFile, walkFiles } from './dataset-files.js';
import type { SampleDraft } from './imagefolder-reader.js';
import type { LabelNames } from './label-names.js';
import type { DataProblem } from './types.js';

const parser = new XMLParser({
  parseTagValue: false,
  ignoreAttributes: true,
  isArray: (name) => name === 'object',
});

interface VocObject {
  name?: unknown;
  bndbox?: { xmin?: unknown; ymin?: unknown; xmax?: unknown; ymax?: unknown };
}

interface VocAnnotation {
  filename?: unknown;
  size?: { width?: unknown; height?: unknown };
  object?: VocObject[];
}

function stemOf(name: string): string {
  return basename(name, extname(name)).toLowerCase();
}

/**
 * Finds the photo an annotation describes. `<filename>` is tried as written, then with any image extension
 * (sets are often re-encoded, e.g. PNG -> JPEG, without updating the XML), then the XML's own stem.
 */
export function resolveVocImage(
  filename: string | undefined,
  xmlName: string,
  byName: ReadonlyMap<string, string>,
  byStem: ReadonlyMap<string, string[]>,
): string | undefined {
  const tries = [filename ? basename(filename.trim()) : undefined, xmlName].filter((s): s is string => !!s);
  for (const t of tries) {
    const exact = byName.get(t.toLowerCase());
    if (exact && isImageFile(exact)) return exact;
    const candidates = byStem.get(stemOf(t));
    if (candidates && candidates.length > 0) {
      const sameExt = candidates.find((c) => extname(c).toLowerCase() === extname(t).toLowerCase());
      return sameExt ?? candidates[0];
    }
  }
  return undefined;
}

function num(value: unknown): number {
  return typeof value === 'string' && value.trim() !== '' ? Number(value) : Number.NaN;
}

/**
 * Pascal VOC: `images/` + `annotations/*.xml`. Each `<object>` is one face; its `<name>` maps through `names`
 * (--label-map, then the label aliases). Images with no annotation, annotations with no image, unknown or
 * skipped names and broken boxes are reported; `names` counts unknown names (readDataset decides on them).
 */
export async function readVoc(
  root: string,
  problems: DataProblem[],
  names: LabelNames,
): Promise<SampleDraft[]> {
  const imagesDir = join(root, 'images');
  const annotationsDir = join(root, 'annotations');
  const imageFiles = (await walkFiles(imagesDir)).filter(isImageFile);
  const xmlFiles = (await walkFiles(annotationsDir)).filter((f) => f.toLowerCase().endsWith('.xml'));
  if (xmlFiles.length === 0) {
    throw new MaskEdgeError('E_DATA', `no .xml annotation files in ${annotationsDir}`, {
      detail: { path: annotationsDir },
    });
  }
  const byName = new Map<string, string>();
  const byStem = new Map<string, string[]>();
  for (const rel of imageFiles) {
    byName.set(basename(rel).toLowerCase(), rel);
    const list = byStem.get(stemOf(rel)) ?? [];
    list.push(rel);
    byStem.set(stemOf(rel), list);
  }
  const used = new Set<string>();
  const out: SampleDraft[] = [];
  const sourceName = basename(root);
  for (const xmlRel of xmlFiles) {
    const xmlPath = join(annotationsDir, xmlRel);
    const text = await readFile(xmlPath, 'utf8');
    const valid = XMLValidator.validate(text);
    if (valid !== true) {
      problems.push({
        kind: 'bad-annotation',
        path: xmlPath,
        message: `invalid XML: ${valid.err.msg} (line ${valid.err.line})`,
      });
      continue;
    }
    const ann = (parser.parse(text) as { annotation?: VocAnnotation }).annotation;
    if (!ann || typeof ann !== 'object') {
      problems.push({ kind: 'bad-annotation', path: xmlPath, message: 'no <annotation> element' });
      continue;
    }
    const filename = typeof ann.filename === 'string' ? ann.filename : undefined;
    const imageRel = resolveVocImage(filename, basename(xmlRel), byName, byStem);
    if (!imageRel) {
      problems.push({
        kind: 'missing-image',
        path: xmlPath,
        message: `no image for <filename>${filename ?? ''}</filename> in ${imagesDir}`,
      });
      continue;
    }
    used.add(imageRel);
    const width = num(ann.size?.width);
    const height = num(ann.size?.height);
    (ann.object ?? []).forEach((obj, index) => {
      const name = typeof obj.name === 'string' ? obj.name : '';
      const label = names.resolve(name, xmlPath);
      if (label === 'unknown' || label === 'skip') {
        problems.push({
          kind: label === 'skip' ? 'skipped-by-policy' : 'unknown-label',
          path: xmlPath,
          message:
            label === 'skip'
              ? `object #${index} '${name}' skipped by --label-map`
              : `object #${index} has unknown label name '${name}'; skipped`,
        });
        return;
      }
      const box = boxOf(obj, width, height);
      if (!box) {
        problems.push({
          kind: 'bad-annotation',
          path: xmlPath,
          message: `object #${index} has a missing or empty <bndbox>; skipped`,
        });
        return;
      }
      out.push({
        id: `voc:${sourceName}/${imageRel}#${index}`,
        path: join(imagesDir, imageRel),
        box,
        label,
        format: 'voc',
        source: root,
      });
    });
  }
  for (const rel of imageFiles) {
    if (!used.has(rel)) {
      problems.push({
        kind: 'missing-annotation',
        path: join(imagesDir, rel),
        message: 'image has no annotation file; ignored',
      });
    }
  }
  return out;
}

/** VOC box (xmin..xmax) as x/y/width/height, clipped to the annotated image size where known. */
function boxOf(obj: VocObject, width: number, height: number): Box | undefined {
  const b = obj.bndbox;
  if (!b) return undefined;
  let x0 = num(b.xmin);
  let y0 = num(b.ymin);
  let x1 = num(b.xmax);
  let y1 = num(b.ymax);
  if (![x0, y0, x1, y1].every(Number.isFinite)) return undefined;
  x0 = Math.max(0, x0);
  y0 = Math.max(0, y0);
  if (width > 0) x1 = Math.min(width, x1);
  if (height > 0) y1 = Math.min(height, y1);
  if (x1 - x0 < 1 || y1 - y0 < 1) return undefined;
  return { x: x0, y: y0, width: x1 - x0, height: y1 - y0 };
}
