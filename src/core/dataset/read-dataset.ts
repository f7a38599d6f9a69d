import { stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import sharp from 'sharp';
import { MaskEdgeError } from '../errors.js';
import { hashFile, listDir, mapWithConcurrency } from './dataset-files.js';
import { readImageFolder, type SampleDraft } from './imagefolder-reader.js';
import { LabelNames } from './label-names.js';
import {
  type DifferenceHash,
  differenceHash,
  groupNearDuplicates,
  NEAR_DUPLICATE_MAX_DISTANCE,
} from './near-duplicates.js';
import { applySynthManifest, readSynthManifest } from './synthetic-manifest.js';
import type {
  DataProblem,
  FaceSample,
  NearDuplicatePhotos,
  ReadDatasetOptions,
  ReadDatasetResult,
} from './types.js';
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
 * hashed (SHA-1 of its bytes) so exact duplicates share a `group`, and near copies (difference hash within
 * `nearDuplicateDistance` bits, across all folders) share one too. Per-file trouble is returned in `problems`;
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
  /** Images of `data synth` folders: kept out of near-copy grouping (below). */
  const synthetic = new Set<string>();
  for (const d of dirs) {
    const root = resolve(d);
    const layout = await detectLayout(root);
    let found =
      layout === 'voc'
        ? await readVoc(root, problems, names)
        : await readImageFolder(root, options.mfnPolicy ?? {}, problems, names);
    // A folder written by `data synth` is train-only: its faces get the preset split 'train'.
    const synth = layout === 'imagefolder' ? await readSynthManifest(root) : undefined;
    if (synth) {
      found = applySynthManifest(root, synth, found, problems);
      for (const f of found) synthetic.add(f.path);
    }
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
  const maxDistance = options.nearDuplicateDistance ?? NEAR_DUPLICATE_MAX_DISTANCE;
  // Synthetic faces (data synth) stay out of near-copy grouping: a masked face can look like a real close-up, and
  // joining (or renaming) a real photo's group would change the split of the real faces the folder must not touch.
  const realHashes = new Map([...hashes].filter(([p]) => !synthetic.has(p)));
  const near = maxDistance === false ? undefined : await nearDuplicateGroups(realHashes, maxDistance);
  let samples: FaceSample[] = [];
  const seenIds = new Map<string, number>();
  for (const d of drafts) {
    const hash = hashes.get(d.path);
    if (hash === undefined) continue;
    const n = seenIds.get(d.id) ?? 0;
    seenIds.set(d.id, n + 1);
    const group = (!synthetic.has(d.path) && near?.groupOf.get(hash)) || `sha1:${hash}`;
    samples.push({ ...d, id: n === 0 ? d.id : `${d.id}~${n + 1}`, group });
  }
  problems.push(...presetSplitDuplicates(samples));
  if (options.minFace !== undefined) {
    const tiny = await findTiny(samples, options.minFace, problems);
    if (options.dropTiny) samples = samples.filter((s) => !tiny.has(s.id));
  }
  return { samples, problems, nearDuplicates: near?.groups ?? [], skippedLabels };
}

/**
 * Near-copy groups over the distinct photos (one difference hash per SHA-1): each member SHA-1 maps to the
 * group key `near:<first member's SHA-1>`; the groups list photo paths. A photo that cannot be decoded keeps
 * its SHA-1 group (loadCrops reports it).
 */
async function nearDuplicateGroups(
  hashes: ReadonlyMap<string, string>,
  maxDistance: number,
): Promise<{ groupOf: Map<string, string>; groups: NearDuplicatePhotos[] }> {
  const pathsOf = new Map<string, string[]>();
  for (const [path, sha] of hashes) {
    const list = pathsOf.get(sha) ?? [];
    list.push(path);
    pathsOf.set(sha, list);
  }
  const dhashes = new Map<string, DifferenceHash>();
  await mapWithConcurrency([...pathsOf.keys()], 4, async (sha) => {
    try {
      dhashes.set(sha, await differenceHash((pathsOf.get(sha) as string[])[0] as string));
    } catch {
      // undecodable: stays in its own SHA-1 group; loadCrops reports the file
    }
  });
  const groupOf = new Map<string, string>();
  const groups: NearDuplicatePhotos[] = [];
  for (const g of groupNearDuplicates(dhashes, maxDistance)) {
    const key = `near:${g.members[0]}`;
    for (const sha of g.members) groupOf.set(sha, key);
    groups.push({
      group: key,
      paths: g.members.flatMap((sha) => pathsOf.get(sha) ?? []).sort(),
      maxDistance: g.maxDistance,
    });
  }
  return { groupOf, groups };
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
