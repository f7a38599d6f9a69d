import { mkdir, readdir, stat, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import {
  type DataProblem,
  type FaceSample,
  loadCrops,
  type MfnPolicy,
  parseLabelMap,
  readDataset,
  type SkippedLabels,
  SPLITS,
  type Split,
} from '../../core/dataset/index.js';
import { MaskEdgeError } from '../../core/errors.js';
import { encodeImage } from '../../core/image-io.js';
import { log } from '../../core/logger.js';
import { ProgressReporter } from '../../core/progress.js';
import { type DatasetSummary, formatCountsTable, summariseDataset } from './dataset-summary.js';

export interface DataPrepareOptions {
  data: string[];
  out: string;
  size?: number;
  seed?: number;
  margin?: number;
  mfnNoseMouth?: MfnPolicy['noseMouth'];
  /** Photos decoded per batch (bounds memory at large sizes). */
  photosPerBatch?: number;
  /** Where the summary goes (stdout by default). */
  stdout?: { write(text: string): unknown };
  /** --label-map NAME=LABEL entries. */
  labelMap?: string[];
  /** Leave faces with unknown label names out (counted in prepare.json) instead of failing with E_DATA. */
  skipUnknownLabels?: boolean;
}

export interface PrepareManifest {
  version: 1;
  sources: string[];
  size: number;
  margin: number;
  seed: number;
  counts: DatasetSummary['counts'];
  /** Output file (relative to --out) -> sample id it came from. */
  files: Record<string, string>;
  problems: DataProblem[];
  /** Faces left out for their label name (--skip-unknown-labels, or --label-map NAME=skip). */
  skippedLabels: SkippedLabels;
}

/**
 * `mask-edge data prepare`: reads --data folders, splits them (preset folders kept, else seeded 70/15/15 by
 * photo), crops every face with margin (squared, clipped), resizes to size x size and writes an ImageFolder
 * `OUT/{train,val,test}/{correct,incorrect,no_mask}/*.jpg`, plus `OUT/prepare.json` (settings, counts, file ->
 * sample id, problems). Refuses an --out folder that is not empty.
 */
export async function run(options: DataPrepareOptions): Promise<PrepareManifest> {
  const { data, size = 128, seed = 1, margin = 0.15, photosPerBatch = 64 } = options;
  const out = resolve(options.out);
  await assertEmptyOrAbsent(out);
  const read = await readDataset(data, {
    labelMap: parseLabelMap(options.labelMap),
    skipUnknownLabels: options.skipUnknownLabels === true,
    ...(options.mfnNoseMouth ? { mfnPolicy: { noseMouth: options.mfnNoseMouth } } : {}),
  });
  const { problems } = read;
  const { summary, splits } = summariseDataset(data, read.samples, problems, seed, read.nearDuplicates);
  // Synthetic faces left out of the split (summary.syntheticDropped) are not written.
  const samples = SPLITS.flatMap((sp) => splits[sp]);
  const splitOf = new Map<FaceSample, Split>();
  for (const sp of SPLITS) for (const s of splits[sp]) splitOf.set(s, sp);
  for (const sp of SPLITS)
    for (const label of ['correct', 'incorrect', 'no_mask']) {
      await mkdir(join(out, sp, label), { recursive: true });
    }
  const files: Record<string, string> = {};
  const used = new Set<string>();
  const allProblems = [...problems];
  const progress = new ProgressReporter({ total: samples.length, label: `preparing ${size}px crops` });
  let done = 0;
  for (const batch of batchesByPhoto(samples, photosPerBatch)) {
    const { crops, problems: cropProblems } = await loadCrops(batch, { size, margin });
    allProblems.push(...cropProblems);
    for (const s of batch) {
      const crop = crops.get(s.id);
      if (!crop) continue;
      const rel = uniqueName(`${splitOf.get(s)}/${s.label}/${fileStem(s.id)}`, used);
      await writeFile(join(out, rel), await encodeImage(crop, 'jpeg', 95));
      files[rel] = s.id;
    }
    done += batch.length;
    progress.update(done);
  }
  progress.finish();
  const manifest: PrepareManifest = {
    version: 1,
    sources: data.map((d) => resolve(d)),
    size,
    margin,
    seed,
    counts: summary.counts,
    files,
    problems: allProblems,
    skippedLabels: read.skippedLabels,
  };
  await writeFile(join(out, 'prepare.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  const skipped = samples.length - Object.keys(files).length;
  const stdout = options.stdout ?? process.stdout;
  stdout.write(
    `${formatCountsTable(summary)}\nwrote ${Object.keys(files).length} crops of ${size}x${size} px to ${out}` +
      `${skipped > 0 ? ` (${skipped} faces skipped: unreadable photos, see prepare.json)` : ''}` +
      `${summary.syntheticDropped > 0 ? ` (${summary.syntheticDropped} synthetic faces left out: their real photo is in val/test or its source is not read)` : ''}\n` +
      (read.skippedLabels.total > 0
        ? `${read.skippedLabels.total} faces left out for their label name ${JSON.stringify(read.skippedLabels.byName)}\n`
        : ''),
  );
  if (allProblems.length > 0)
    log.warn('data problems', { count: allProblems.length, manifest: join(out, 'prepare.json') });
  return manifest;
}

/** Refuses (E_USAGE) an output path that is a file or a folder with anything in it. */
export async function assertEmptyOrAbsent(dir: string): Promise<void> {
  let isDir: boolean;
  try {
    isDir = (await stat(dir)).isDirectory();
  } catch {
    return;
  }
  if (!isDir || (await readdir(dir)).length > 0) {
    throw new MaskEdgeError('E_USAGE', `--out must be an empty or absent folder: ${dir}`, {
      detail: { path: dir },
    });
  }
}

/** Batches of whole photos (every face of a photo in the same batch, so each photo is decoded once). */
function* batchesByPhoto(samples: FaceSample[], photos: number): Generator<FaceSample[]> {
  const byPath = new Map<string, FaceSample[]>();
  for (const s of samples) {
    const list = byPath.get(s.path) ?? [];
    list.push(s);
    byPath.set(s.path, list);
  }
  let batch: FaceSample[] = [];
  let count = 0;
  for (const members of byPath.values()) {
    batch.push(...members);
    if (++count >= photos) {
      yield batch;
      batch = [];
      count = 0;
    }
  }
  if (batch.length > 0) yield batch;
}

/** 'voc:kaggle/img12.jpg#3' -> 'kaggle_img12_f3'; MaskedFace-Net suffixes stay last in the name. */
export function fileStem(id: string): string {
  const body = id.slice(id.indexOf(':') + 1);
  const [pathPart = '', face] = body.split('#');
  const noExt = pathPart.replace(/\.[A-Za-z0-9]+$/, '');
  const stem = `${noExt}${face !== undefined ? `_f${face}` : ''}`;
  return stem.replace(/[^A-Za-z0-9._-]+/g, '_');
}

function uniqueName(base: string, used: Set<string>): string {
  let name = `${base}.jpg`;
  for (let n = 2; used.has(name); n++) name = `${base}-${n}.jpg`;
  used.add(name);
  return name;
}
