import { basename, join } from 'node:path';
import { MaskEdgeError } from '../errors.js';
import type { Label } from '../labels.js';
import { isImageFile, listDir, walkFiles } from './dataset-files.js';
import type { LabelNames } from './label-names.js';
import { labelForMfnKind, mfnKindOf } from './maskedface-net-names.js';
import type { DataProblem, FaceSample, MfnPolicy, Split } from './types.js';

/** A sample before its photo is hashed (readDataset fills `group`). */
export type SampleDraft = Omit<FaceSample, 'group'>;

const SPLIT_ALIASES: Readonly<Record<string, Split>> = {
  train: 'train',
  training: 'train',
  val: 'val',
  valid: 'val',
  validation: 'val',
  test: 'test',
  testing: 'test',
};

export function splitFromFolderName(name: string): Split | undefined {
  return SPLIT_ALIASES[name.trim().toLowerCase()];
}

interface ReaderContext {
  root: string;
  policy: MfnPolicy;
  problems: DataProblem[];
  names: LabelNames;
}

/**
 * ImageFolder: `train/ val/ test/` each holding one folder per label, or label folders with no split.
 * A flat folder of MaskedFace-Net-named images (no label folders) is read by name alone.
 * Files carrying MaskedFace-Net suffixes get format 'maskedface-net' and their names are checked
 * against the folder label under the MfnPolicy. Label folder names map through `names` (--label-map, then the
 * aliases); the images of an unknown or skipped label folder are counted there and reported.
 */
export async function readImageFolder(
  root: string,
  policy: MfnPolicy,
  problems: DataProblem[],
  names: LabelNames,
): Promise<SampleDraft[]> {
  const ctx: ReaderContext = { root, policy, problems, names };
  const { dirs, files } = await listDir(root);
  const splitDirs = dirs.filter((d) => splitFromFolderName(d) !== undefined);
  if (splitDirs.length > 0) {
    const others = dirs.filter((d) => splitFromFolderName(d) === undefined);
    if (others.length > 0) {
      throw new MaskEdgeError(
        'E_DATA',
        `folder '${others[0]}' next to split folders is neither train, val nor test`,
        { detail: { path: join(root, others[0] as string), splits: splitDirs } },
      );
    }
    const out: SampleDraft[] = [];
    for (const d of splitDirs) {
      out.push(...(await readLabelFolders(ctx, join(root, d), splitFromFolderName(d))));
    }
    return out;
  }
  if (dirs.length > 0) return readLabelFolders(ctx, root, undefined);
  const named = files.filter((f) => isImageFile(f) && mfnKindOf(f) !== undefined);
  for (const f of files) {
    if (isImageFile(f) && mfnKindOf(f) === undefined) {
      problems.push({
        kind: 'ignored-file',
        path: join(root, f),
        message: 'no label folder and no MaskedFace-Net suffix in the name; ignored',
      });
    }
  }
  return readFiles(ctx, root, named, undefined, undefined);
}

async function readLabelFolders(
  ctx: ReaderContext,
  dir: string,
  split: Split | undefined,
): Promise<SampleDraft[]> {
  const { dirs, files } = await listDir(dir);
  for (const f of files) {
    if (isImageFile(f)) {
      ctx.problems.push({
        kind: 'ignored-file',
        path: join(dir, f),
        message: 'image outside any label folder; ignored',
      });
    }
  }
  const out: SampleDraft[] = [];
  for (const d of dirs) {
    const labelDir = join(dir, d);
    const nested = (await listDir(labelDir)).dirs.length > 0;
    const images = nested ? [] : (await walkFiles(labelDir)).filter(isImageFile);
    const label = ctx.names.resolve(d, labelDir, images.length);
    if (label === 'unknown' && nested) {
      throw new MaskEdgeError(
        'E_DATA',
        `unknown label folder '${d}' holds folders; if this folder holds several datasets, pass each one as its own folder`,
        { detail: { path: labelDir, folder: d } },
      );
    }
    if (label === 'unknown' || label === 'skip') {
      ctx.problems.push({
        kind: label === 'skip' ? 'skipped-by-policy' : 'unknown-label',
        path: labelDir,
        message: `label folder '${d}' ${label === 'skip' ? 'skipped by --label-map' : 'has an unknown label name'}; its ${images.length} images skipped`,
      });
      continue;
    }
    out.push(...(await readFiles(ctx, labelDir, await walkFiles(labelDir), label, split)));
  }
  return out;
}

async function readFiles(
  ctx: ReaderContext,
  dir: string,
  relFiles: string[],
  folderLabel: Label | undefined,
  split: Split | undefined,
): Promise<SampleDraft[]> {
  const out: SampleDraft[] = [];
  const sourceName = basename(ctx.root);
  for (const rel of relFiles) {
    const path = join(dir, rel);
    if (!isImageFile(rel)) {
      ctx.problems.push({ kind: 'ignored-file', path, message: 'not an image file; ignored' });
      continue;
    }
    const kind = mfnKindOf(rel);
    let label = folderLabel;
    if (kind !== undefined) {
      const byName = labelForMfnKind(kind, ctx.policy);
      if (byName === 'skip') {
        ctx.problems.push({
          kind: 'skipped-by-policy',
          path,
          message: `MaskedFace-Net '_${kind}' skipped by policy`,
        });
        continue;
      }
      if (label === undefined) label = byName;
      else if (byName !== label) {
        const conflict = ctx.policy.conflict ?? 'folder';
        ctx.problems.push({
          kind: 'label-conflict',
          path,
          message: `name says '${byName}' (_${kind}), folder says '${label}'; ${conflict === 'skip' ? 'skipped' : `${conflict} wins`}`,
        });
        if (conflict === 'skip') continue;
        if (conflict === 'name') label = byName;
      }
    }
    if (label === undefined) continue;
    const format = kind !== undefined ? 'maskedface-net' : 'imagefolder';
    const relToRoot = path
      .slice(ctx.root.length + 1)
      .split(/[\\/]/)
      .join('/');
    out.push({
      id: `${format}:${sourceName}/${relToRoot}`,
      path,
      label,
      format,
      ...(split ? { split } : {}),
      source: ctx.root,
    });
  }
  return out;
}
