/**
 * Which samples an evaluation uses: everything read from --data, or one split of it, either preset by an
 * ImageFolder train/val/test layout or taken from a training run's split.json (so eval reuses the held-out set).
 */
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { applySplitIds, type FaceSample, type Split, splitDataset } from '../../core/dataset/index.js';
import { MaskEdgeError } from '../../core/errors.js';

export interface SelectOptions {
  split?: Split;
  /** RUN/split.json, or the run folder holding it. */
  splitFile?: string;
  /**
   * Split every --data sample by photo with this seed, as `mask-edge train --seed N` does on the same folders,
   * and take --split (default test): the held-out photos of a training run that is not at hand.
   */
  seed?: number;
}

export interface Selection {
  samples: FaceSample[];
  /** One line saying what was selected (for stderr / reports). */
  note: string;
}

async function readSplitFile(file: string): Promise<{ path: string; ids: Partial<Record<Split, string[]>> }> {
  let path = file;
  try {
    if ((await stat(file)).isDirectory()) path = join(file, 'split.json');
  } catch (cause) {
    throw new MaskEdgeError('E_NOT_FOUND', `split file not found: ${file}`, {
      detail: { path: file },
      cause,
    });
  }
  let raw: unknown;
  try {
    raw = JSON.parse(await readFile(path, 'utf8'));
  } catch (cause) {
    const missing = (cause as NodeJS.ErrnoException).code === 'ENOENT';
    throw new MaskEdgeError(
      missing ? 'E_NOT_FOUND' : 'E_DATA',
      missing ? `split file not found: ${path}` : `split file is not valid JSON: ${path}`,
      { detail: { path }, cause },
    );
  }
  const obj = raw as Record<string, unknown>;
  const candidates = [obj, obj.splits, obj.ids].filter(
    (c): c is Record<string, unknown> => !!c && typeof c === 'object',
  );
  const ids = candidates.find((c) => ['train', 'val', 'test'].some((k) => Array.isArray(c[k])));
  if (!ids) {
    throw new MaskEdgeError('E_DATA', `split file has no train/val/test id lists: ${path}`, {
      detail: { path, expected: '{ "train": [ids], "val": [ids], "test": [ids] }' },
    });
  }
  return { path, ids: ids as Partial<Record<Split, string[]>> };
}

export async function selectSamples(samples: FaceSample[], options: SelectOptions): Promise<Selection> {
  if (options.seed !== undefined && options.splitFile) {
    throw new MaskEdgeError('E_USAGE', '--seed and --split-file both choose the split; pass one', {
      detail: { seed: options.seed, splitFile: options.splitFile },
    });
  }
  if (options.splitFile) {
    const which = options.split ?? 'test';
    const { path, ids } = await readSplitFile(options.splitFile);
    const { splits } = applySplitIds(samples, ids);
    const chosen = splits[which];
    const found = new Set(chosen.map((s) => s.id));
    const missing = (ids[which] ?? []).filter((id) => !found.has(id));
    if (chosen.length === 0) {
      throw new MaskEdgeError('E_DATA', `none of the '${which}' ids in ${path} are in the --data folders`, {
        detail: { path, split: which, listed: ids[which]?.length ?? 0, missing: missing.length },
      });
    }
    const gone = missing.length > 0 ? ` (${missing.length} '${which}' ids not found in --data)` : '';
    return { samples: chosen, note: `${which} split of ${path}: ${chosen.length} faces${gone}` };
  }
  if (options.seed !== undefined) {
    const which = options.split ?? 'test';
    const chosen = splitDataset(samples, { seed: options.seed })[which];
    return {
      samples: chosen,
      note: `${which} split of all --data by photo, seed ${options.seed} (as train --seed ${options.seed}): ${chosen.length} faces`,
    };
  }
  if (options.split) {
    const chosen = samples.filter((s) => s.split === options.split);
    if (chosen.length === 0) {
      throw new MaskEdgeError(
        'E_DATA',
        `no samples are preset to the '${options.split}' split; pass --split-file RUN`,
        {
          detail: { split: options.split },
        },
      );
    }
    return { samples: chosen, note: `preset ${options.split} split: ${chosen.length} faces` };
  }
  return { samples, note: `all ${samples.length} faces` };
}
