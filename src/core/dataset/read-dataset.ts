import { stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import sharp from 'sharp';
import { MaskEdgeError } from '../errors.js';
import { hashFile, listDir, mapWithConcurrency } from './dataset-files.js';
import { readImageFolder, type SampleDraft } from './imagefolder-reader.js';
import { LabelNames } from './label-names.js';
import type { DataProblem, FaceSample, ReadDatasetOptions, ReadDatasetResult } from './types.js';
import { readVoc } from './voc-reader.js';

export type DatasetLayout = 'voc' | 'imagefolder';

/**
 * Which reader a --data folder needs: `images/` + `annotations/` is Pascal VOC; anything else is read as an
 * ImageFolder (split folders, label folders, or flat MaskedFace-Net names). Missing folders raise E_NOT_FOUND.
 */
export async function detectLayout(dir: string): Promise<DatasetLayout> {
  let isDir: boolean;
  try {
    isDir = (await stat(dir)).isDirectory();
  } catch (cause) {
    throw new MaskEdgeError('E_NOT_FOUND', `dataset folder not found: ${dir}`, {
      detail: { path: dir },
      cause,
    });
  }
  if (!isDir) throw new MaskEdgeError('E_DATA', `not a folder: ${dir}`, { detail: { path: dir } });
  const { dirs } = await listDir(dir);
  const names = new Set(dirs);
  if (names.has('images') && names.has('annotations')) return 'voc';
  if (names.has('annotations') && !names.has('images')) {
    throw new MaskEdgeError('E_NOT_FOUND', `Pascal VOC folder has annotations/ but no images/: ${dir}`, {
      detail: { path: resolve(dir, 'images') },
    });
  }
  if (names.has('images') && !names.has('annotations')) {
    throw new MaskEdgeError('E_NOT_FOUND', `Pascal VOC folder has images/ but no annotations/: ${dir}`, {
      detail: { path: resolve(dir, 'annotations') },
    });
  }
  return 'imagefolder';
}

/**
 * Reads labelled faces from one or more dataset folders (format auto-detected per folder). Every photo is
 * hashed (SHA-1 of its bytes) so exact duplicates share a `group`. Per-file trouble is returned in `problems`;
 * a folder that is missing, empty, or has an unknown label folder raises a MaskEdgeError with its path.
 */
export async function readDataset(
  dirs: string[],
  options: ReadDatasetOptions = {},
): Promise<ReadDatasetResult> {
  if (dirs.length === 0) throw new MaskEdgeError('E_USAGE', 'no dataset folder given', { detail: { dirs } });
  const problems: DataProblem[] = [];
  const drafts: SampleDraft[] = [];
  const names = new LabelNames(options.labelMap, options.skipUnknownLabels);
  for (const d of dirs) {
    const root = resolve(d);
    const layout = await detectLayout(root);
    const found =
      layout === 'voc'
        ? await readVoc(root, problems, names)
        : await readImageFolder(root, options.mfnPolicy ?? {}, problems, names);
    if (found.length === 0) {
      names.finish(); // a folder of unknown label names only: say so first
      throw new MaskEdgeError('E_DATA', `no labelled faces found in ${root}`, {
        detail: { path: root, layout, problems: problems.length },
      });
    }
    drafts.push(...found);
  }
  // unknown label names: E_DATA listing them and how to map them, unless skipping (then counted)
  const skippedLabels = names.finish();
  const paths = [...new Set(drafts.map((s) => s.path))];
  const hashes = new Map<string, string>();
  await mapWithConcurrency(paths, 8, async (p) => {
    try {
      hashes.set(p, await hashFile(p));
    } catch (err) {
      problems.push({ kind: 'unreadable', path: p, message: `cannot read: ${(err as Error).message}` });
    }
  });
  let samples: FaceSample[] = [];
  const seenIds = new Map<string, number>();
  for (const d of drafts) {
    const hash = hashes.get(d.path);
    if (hash === undefined) continue;
    const n = seenIds.get(d.id) ?? 0;
    seenIds.set(d.id, n + 1);
    samples.push({ ...d, id: n === 0 ? d.id : `${d.id}~${n + 1}`, group: `sha1:${hash}` });
  }
  problems.push(...presetSplitDuplicates(samples));
  if (options.minFace !== undefined) {
    const tiny = await findTiny(samples, options.minFace, problems);
    if (options.dropTiny) samples = samples.filter((s) => !tiny.has(s.id));
  }
  return { samples, problems, skippedLabels };
}

/** Photos whose identical copies sit in different preset splits (a train/test leak). */
function presetSplitDuplicates(samples: FaceSample[]): DataProblem[] {
  const byGroup = new Map<string, FaceSample[]>();
  for (const s of samples) {
    if (!s.split) continue;
    const list = byGroup.get(s.group) ?? [];
    list.push(s);
    byGroup.set(s.group, list);
  }
  const out: DataProblem[] = [];
  for (const list of byGroup.values()) {
    const splits = new Set(list.map((s) => s.split));
    if (splits.size < 2) continue;
    const paths = [...new Set(list.map((s) => s.path))];
    for (const p of paths) {
      out.push({
        kind: 'duplicate',
        path: p,
        message: `same bytes in splits ${[...splits].join(', ')}: ${paths.filter((q) => q !== p).join(', ')}`,
      });
    }
  }
  return out;
}

/** Ids of faces whose shorter side is under minFace px (box, or image size read from the header). */
async function findTiny(
  samples: FaceSample[],
  minFace: number,
  problems: DataProblem[],
): Promise<Set<string>> {
  const tiny = new Set<string>();
  const whole = samples.filter((s) => !s.box);
  const sizes = new Map<string, number>();
  await mapWithConcurrency([...new Set(whole.map((s) => s.path))], 4, async (p) => {
    try {
      const meta = await sharp(p).metadata();
      sizes.set(p, Math.min(meta.width ?? 0, meta.height ?? 0));
    } catch (err) {
      problems.push({
        kind: 'unreadable',
        path: p,
        message: `cannot read image header: ${(err as Error).message}`,
      });
    }
  });
  for (const s of samples) {
    const side = s.box ? Math.min(s.box.width, s.box.height) : sizes.get(s.path);
    if (side === undefined || side >= minFace) continue;
    tiny.add(s.id);
    problems.push({
      kind: 'tiny',
      path: s.path,
      message: `${s.id}: face ${Math.round(side)} px < ${minFace} px`,
    });
  }
  return tiny;
}
