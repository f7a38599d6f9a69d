import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import {
  type FaceSample,
  hashFile,
  isImageFile,
  parseLabelMap,
  readDataset,
  SYNTH_MANIFEST,
  SYNTH_VARIANTS,
  type SynthFace,
  type SynthManifest,
  type SynthVariant,
  splitDataset,
} from '../../core/dataset/index.js';
import { MaskEdgeError } from '../../core/errors.js';
import { type Box, decodeImage, encodeImage } from '../../core/image-io.js';
import { sharedDataDir } from '../../core/package-paths.js';
import { ProgressReporter } from '../../core/progress.js';
import { SeededRandom } from '../../core/seeded-random.js';
import { assertEmptyOrAbsent, fileStem } from '../data/data-prepare-command.js';
import { loadLandmarkFinder } from './face-landmarks.js';
import { loadMaskTemplates } from './mask-templates.js';
import {
  chooseTemplate,
  type FaceSkipReason,
  type PreparedFace,
  prepareFace,
  renderMask,
} from './synth-face.js';
import { type GalleryRow, renderGallery } from './synth-gallery.js';

export interface DataSynthOptions {
  /** Dataset folders, exactly as training reads them: their no_mask faces of the train split are used. */
  data?: string[];
  /** Folders of face images a user brings (each image is one face); all of them are train faces. */
  faces?: string[];
  out: string;
  /** MaskTheFace-style folder: masks.cfg + templates/ (default: the shared data's mask-templates). */
  templates?: string;
  /** Template families (masks.cfg names without _left/_right); default all but gas. */
  families?: string[];
  /** Split seed (as train's --seed) and the seed of every random choice here. */
  seed?: number;
  variants?: SynthVariant[];
  /** Incorrect variants drawn per face (default 1), besides one correct mask when 'correct' is among variants. */
  incorrectPerFace?: number;
  minFace?: number;
  margin?: number;
  maxSide?: number;
  /** Faces shown in gallery.png (default 12; 0 = none). */
  gallery?: number;
  /** Use only the first n faces of --data (trials); --faces folders are used whole. */
  limit?: number;
  backend?: string;
  /** --label-map NAME=LABEL entries and --skip-unknown-labels, as train takes them (the split must match train's). */
  labelMap?: string[];
  skipUnknownLabels?: boolean;
  stdout?: { write(text: string): unknown };
}

/** A real face to put masks on. */
interface SourceFace {
  id: string;
  path: string;
  box?: Box;
  sha1: string;
  faceIndex: number;
  dataDir: string;
  origin: 'data' | 'faces';
}

export interface SynthSummary {
  sourceFaces: number;
  written: { correct: number; incorrect: number };
  byVariant: Record<string, number>;
  skipped: Record<FaceSkipReason | 'unreadable' | 'degenerate', number>;
  seconds: number;
  facesPerSecond: number;
}

/**
 * `mask-edge data synth`: masks drawn on real unmasked faces. Reads --data folders and splits them exactly as
 * `train` does (same readers, same seed), takes the no_mask faces of the train split (plus every image of
 * --faces folders), finds 68 landmarks on each, and draws a correct mask and incorrect ones (nose out, mouth
 * and nose out, chin out, under the chin) from MaskTheFace templates. Writes OUT/correct, OUT/incorrect, a
 * manifest (OUT/synth.json: source photo, face index, split and variant of every image; it makes the folder
 * train-only when read back) and OUT/gallery.png. Faces too small or without plausible landmarks are
 * counted and listed in the manifest.
 */
export async function run(options: DataSynthOptions): Promise<SynthManifest & { summary: SynthSummary }> {
  const started = Date.now();
  const {
    data = [],
    faces = [],
    seed = 1,
    incorrectPerFace = 1,
    minFace = 48,
    margin = 0.15,
    maxSide = 224,
    gallery = 12,
  } = options;
  const variants = options.variants ?? [...SYNTH_VARIANTS];
  if (data.length === 0 && faces.length === 0) {
    throw new MaskEdgeError('E_USAGE', 'data synth needs --data or --faces folders', { detail: {} });
  }
  const templatesDir = options.templates ?? defaultTemplatesDir();
  const out = resolve(options.out);
  await assertEmptyOrAbsent(out);
  const templates = await loadMaskTemplates(templatesDir, options.families);
  const { find, device } = await loadLandmarkFinder(options.backend);
  let fromData = await trainFaces(data, seed, options);
  if (options.limit !== undefined) fromData = fromData.slice(0, options.limit);
  const sources = [...fromData, ...(await faceFolderFaces(faces))];
  // Gallery faces: a seeded sample spread over all sources (not the first photos' neighbours).
  const galleryPicks = new Set(
    new SeededRandom(seed).shuffle(sources.map((s) => s.id)).slice(0, gallery * 4),
  );
  const correctOn = variants.includes('correct');
  const incorrect = variants.filter((v) => v !== 'correct');
  await mkdir(join(out, 'correct'), { recursive: true });
  await mkdir(join(out, 'incorrect'), { recursive: true });

  const entries: SynthFace[] = [];
  const skippedList: { id: string; path: string; reason: string; message: string }[] = [];
  const skipped: SynthSummary['skipped'] = { tiny: 0, landmarks: 0, unreadable: 0, degenerate: 0 };
  const byVariant: Record<string, number> = Object.fromEntries(variants.map((v) => [v, 0]));
  const galleryRows: GalleryRow[] = [];
  const progress = new ProgressReporter({ total: sources.length, label: 'synthesising masked faces' });
  let done = 0;
  for (const [path, members] of groupByPhoto(sources)) {
    let photo: Awaited<ReturnType<typeof decodeImage>>;
    try {
      photo = await decodeImage(path);
    } catch (err) {
      for (const s of members) {
        skipped.unreadable++;
        skippedList.push({ id: s.id, path, reason: 'unreadable', message: (err as Error).message });
      }
      done += members.length;
      progress.update(done);
      continue;
    }
    for (const s of members) {
      const prepared = await prepareFace(photo, s.box, find, { minFace, margin, maxSide });
      if ('skip' in prepared) {
        skipped[prepared.skip]++;
        skippedList.push({ id: s.id, path, reason: prepared.skip, message: prepared.message });
        continue;
      }
      const rng = new SeededRandom((seed ^ hashString(s.id)) >>> 0);
      const chosen = [
        ...(correctOn ? (['correct'] as SynthVariant[]) : []),
        ...rng.shuffle([...incorrect]).slice(0, incorrectPerFace),
      ];
      for (const variant of chosen) {
        const template = chooseTemplate(templates, prepared.face.view, rng);
        const mask = renderMask(prepared.face, variant, template, rng);
        if (!mask) {
          skipped.degenerate++;
          skippedList.push({ id: s.id, path, reason: 'degenerate', message: `${variant}: anchors collapse` });
          continue;
        }
        const label = variant === 'correct' ? 'correct' : 'incorrect';
        const file = `${label}/${fileStem(s.id)}_${variant}.jpg`;
        await writeFile(join(out, file), await encodeImage(mask.image, 'jpeg', 92));
        byVariant[variant] = (byVariant[variant] ?? 0) + 1;
        entries.push({
          file,
          label,
          variant,
          template: template.spec.name,
          source: {
            path: s.path,
            sha1: s.sha1,
            ...(s.origin === 'data' ? { id: s.id } : {}),
            faceIndex: s.faceIndex,
            dataDir: s.dataDir,
            origin: s.origin,
            split: 'train',
          },
        });
      }
      if (galleryRows.length < gallery && galleryPicks.has(s.id) && prepared.face.crop.width >= 64) {
        galleryRows.push(galleryRow(s, prepared.face, templates, seed));
      }
    }
    done += members.length;
    progress.update(done);
  }
  progress.finish();
  if (galleryRows.length > 0) {
    await writeFile(join(out, 'gallery.png'), await renderGallery(galleryRows, [...SYNTH_VARIANTS]));
  }
  const seconds = (Date.now() - started) / 1000;
  const summary: SynthSummary = {
    sourceFaces: sources.length,
    written: {
      correct: entries.filter((e) => e.label === 'correct').length,
      incorrect: entries.filter((e) => e.label === 'incorrect').length,
    },
    byVariant,
    skipped,
    seconds,
    facesPerSecond: sources.length / Math.max(seconds, 1e-9),
  };
  const manifest = {
    version: 1 as const,
    kind: 'mask-edge-synth' as const,
    trainOnly: true as const,
    faces: entries,
    extraFiles: galleryRows.length > 0 ? ['gallery.png'] : [],
    createdAt: new Date(started).toISOString(),
    split: { data: data.map((d) => resolve(d)), seed, fractions: { train: 0.7, val: 0.15, test: 0.15 } },
    faceFolders: faces.map((d) => resolve(d)),
    templates: {
      dir: resolve(templatesDir),
      names: templates.map((t) => t.spec.name),
      credit: 'MaskTheFace mask templates by Aqeel Anwar (MIT License)',
    },
    settings: { variants, incorrectPerFace, minFace, margin, maxSide, landmarks: device },
    summary,
    skipped: skippedList,
  };
  await writeFile(join(out, SYNTH_MANIFEST), `${JSON.stringify(manifest, null, 1)}\n`);
  (options.stdout ?? process.stdout).write(formatSummary(summary, out));
  return manifest;
}

function defaultTemplatesDir(): string {
  const shared = sharedDataDir();
  if (!shared) {
    throw new MaskEdgeError('E_USAGE', 'no mask templates: pass --templates DIR (masks.cfg + templates/)', {
      detail: {},
    });
  }
  return join(shared, 'mask-templates');
}

/** The no_mask faces of the train split, split exactly as `train` splits the same --data folders and seed. */
async function trainFaces(
  data: string[],
  seed: number,
  labels: Pick<DataSynthOptions, 'labelMap' | 'skipUnknownLabels'> = {},
): Promise<SourceFace[]> {
  if (data.length === 0) return [];
  const { samples } = await readDataset(
    data.map((d) => resolve(d)),
    { labelMap: parseLabelMap(labels.labelMap), skipUnknownLabels: labels.skipUnknownLabels === true },
  );
  const { train } = splitDataset(samples, { seed });
  const chosen = train
    .filter((s) => s.label === 'no_mask' && !s.derivedFrom)
    .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const out: SourceFace[] = [];
  for (const s of chosen as FaceSample[]) {
    out.push({
      id: s.id,
      path: s.path,
      ...(s.box ? { box: s.box } : {}),
      // The group is the photo's SHA-1 today; should grouping change, hash the photo itself.
      sha1: s.group.startsWith('sha1:') ? s.group.slice(5) : await hashFile(s.path),
      faceIndex: faceIndexOf(s.id),
      dataDir: s.source,
      origin: 'data',
    });
  }
  return out;
}

/** Every image under each --faces folder, as one whole-image face. */
async function faceFolderFaces(dirs: string[]): Promise<SourceFace[]> {
  const out: SourceFace[] = [];
  for (const d of dirs) {
    const root = resolve(d);
    let names: string[];
    try {
      names = (await readdir(root, { recursive: true })).map(String).filter(isImageFile).sort();
    } catch (cause) {
      throw new MaskEdgeError('E_NOT_FOUND', `faces folder not found: ${root}`, {
        detail: { path: root },
        cause,
      });
    }
    if (names.length === 0) {
      throw new MaskEdgeError('E_DATA', `no images in faces folder ${root}`, { detail: { path: root } });
    }
    for (const name of names) {
      const path = join(root, name);
      out.push({
        id: `faces:${basename(root)}/${name.split(/[\\/]/).join('/')}`,
        path,
        sha1: await hashFile(path),
        faceIndex: 0,
        dataDir: root,
        origin: 'faces',
      });
    }
  }
  return out;
}

/** 'voc:kaggle/x.jpg#3' -> 3; whole-image samples -> 0. */
export function faceIndexOf(id: string): number {
  const m = /#(\d+)(?:~\d+)?$/.exec(id);
  return m ? Number(m[1]) : 0;
}

function groupByPhoto(sources: SourceFace[]): Map<string, SourceFace[]> {
  const byPath = new Map<string, SourceFace[]>();
  for (const s of sources) {
    const list = byPath.get(s.path) ?? [];
    list.push(s);
    byPath.set(s.path, list);
  }
  return byPath;
}

/** Every variant on one face with one template, for the gallery (its own random stream). */
function galleryRow(
  s: SourceFace,
  face: PreparedFace,
  templates: Parameters<typeof chooseTemplate>[0],
  seed: number,
): GalleryRow {
  const rng = new SeededRandom((seed ^ hashString(`gallery:${s.id}`)) >>> 0);
  const template = chooseTemplate(templates, face.view, rng);
  return {
    title: `${fileStem(s.id).slice(-28)} (${face.view})`,
    face: face.crop,
    landmarks: face.landmarks,
    cells: SYNTH_VARIANTS.map((v) => ({
      caption: template.spec.name,
      image: renderMask(face, v, template, rng)?.image,
    })),
  };
}

/** FNV-1a of a string: a per-face seed that does not depend on the order or number of faces. */
function hashString(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

function formatSummary(s: SynthSummary, out: string): string {
  const variants = Object.entries(s.byVariant)
    .map(([v, n]) => `${v} ${n}`)
    .join(', ');
  const skipped = Object.entries(s.skipped)
    .filter(([, n]) => n > 0)
    .map(([k, n]) => `${k} ${n}`)
    .join(', ');
  return (
    `source faces: ${s.sourceFaces}; wrote correct ${s.written.correct}, incorrect ${s.written.incorrect} (${variants}) to ${out}\n` +
    `skipped: ${skipped || 'none'} (tiny = under --min-face; landmarks = implausible landmarks; see synth.json)\n` +
    `${s.seconds.toFixed(1)} s: ${s.facesPerSecond.toFixed(1)} source faces/s, ` +
    `${((s.written.correct + s.written.incorrect) / Math.max(s.seconds, 1e-9)).toFixed(1)} images written/s\n`
  );
}
