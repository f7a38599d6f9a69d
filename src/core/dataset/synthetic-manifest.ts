import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { z } from 'zod';
import { MaskEdgeError } from '../errors.js';
import type { DataProblem, FaceSample, Split } from './types.js';

/** File name of the manifest `mask-edge data synth` writes at the root of its ImageFolder. */
export const SYNTH_MANIFEST = 'synth.json';

export const SYNTH_VARIANTS = ['correct', 'nose-out', 'mouth-nose-out', 'chin-out', 'under-chin'] as const;
export type SynthVariant = (typeof SYNTH_VARIANTS)[number];

const sourceSchema = z.object({
  /** Absolute path of the real photo the face was cut from. */
  path: z.string().describe('absolute path of the real photo'),
  /** SHA-1 of that photo's bytes (its `group` before near-duplicate grouping). */
  sha1: z.string().optional().describe('SHA-1 of the real photo'),
  /** Sample id of the real face (e.g. 'voc:kaggle-face-mask/x.jpg#2'); absent for a user's face folder. */
  id: z.string().optional().describe('sample id of the real face'),
  /** Index of the face in its photo (VOC object order); 0 for whole-image faces. */
  faceIndex: z.number().int().min(0).describe('face index in the photo'),
  /** The --data folder it came from, or the --faces folder. */
  dataDir: z.string().describe('dataset or faces folder it came from'),
  /** 'data' = a --data folder (split by the seed); 'faces' = a user's folder of faces (train by definition). */
  origin: z.enum(['data', 'faces']).describe('whether it came from a --data or a --faces folder'),
  /** The split the real face was in when the synthetic face was made: always 'train'. */
  split: z.literal('train').describe('split of the real face at synthesis time'),
});

const faceSchema = z.object({
  /** Path of the synthetic image, relative to the manifest's folder (e.g. 'incorrect/x_nose-out.jpg'). */
  file: z.string().describe('synthetic image, relative to the folder'),
  label: z.enum(['correct', 'incorrect']).describe('its label folder'),
  variant: z.enum(SYNTH_VARIANTS).describe('how the mask is worn'),
  template: z.string().describe('mask template name (masks.cfg section)'),
  source: sourceSchema,
});

export const synthManifestSchema = z
  .object({
    version: z.literal(1),
    kind: z.literal('mask-edge-synth'),
    /** Every face of the folder belongs to the train split (the reader presets it). */
    trainOnly: z.literal(true),
    faces: z.array(faceSchema),
    /** Non-data files at the root (the gallery), relative paths. */
    extraFiles: z.array(z.string()).default([]),
  })
  .passthrough();

export type SynthManifest = z.infer<typeof synthManifestSchema>;
export type SynthFace = z.infer<typeof faceSchema>;

/** The manifest of a synthetic folder, or undefined when the folder has none. A malformed one is E_DATA. */
export async function readSynthManifest(root: string): Promise<SynthManifest | undefined> {
  const path = join(root, SYNTH_MANIFEST);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch {
    return undefined;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (cause) {
    throw new MaskEdgeError('E_DATA', `synthetic-face manifest is not JSON: ${path}`, {
      detail: { path },
      cause,
    });
  }
  const result = synthManifestSchema.safeParse(parsed);
  if (!result.success) {
    const issue = result.error.issues[0];
    throw new MaskEdgeError(
      'E_DATA',
      `synthetic-face manifest ${path} is malformed at '${issue?.path.join('.') ?? ''}': ${issue?.message ?? ''}`,
      { detail: { path, field: issue?.path.join('.') } },
    );
  }
  return result.data;
}

/**
 * Marks the samples of a synthetic folder as train-only (preset split 'train', which splitDataset keeps
 * and which leaves the split of the real faces unchanged) and records the real photo each was made from
 * (`derivedFrom`), so `dropLeakedSynthetic` can drop those whose photo is in val/test of a run.
 * The manifest's extra files (the gallery) are not reported as stray images.
 */
export function applySynthManifest<T extends Omit<FaceSample, 'group'>>(
  root: string,
  manifest: SynthManifest,
  drafts: T[],
  problems: DataProblem[],
): T[] {
  const byFile = new Map(manifest.faces.map((f) => [resolve(root, f.file), f]));
  const extra = new Set(manifest.extraFiles.map((f) => resolve(root, f)));
  for (let i = problems.length - 1; i >= 0; i--) {
    const p = problems[i] as DataProblem;
    if (p.kind === 'ignored-file' && extra.has(resolve(p.path))) problems.splice(i, 1);
  }
  return drafts.map((d) => {
    const face = byFile.get(resolve(d.path));
    return {
      ...d,
      split: 'train' as Split,
      ...(face
        ? {
            derivedFrom: {
              path: face.source.path,
              ...(face.source.sha1 ? { sha1: face.source.sha1 } : {}),
              dataDir: face.source.dataDir,
              origin: face.source.origin,
            },
          }
        : {}),
    };
  });
}

export interface LeakCheck {
  splits: Record<Split, FaceSample[]>;
  /** Synthetic faces dropped, each with why. */
  dropped: { sample: FaceSample; reason: string }[];
}

/**
 * Removes from train every synthetic face (`derivedFrom`) that could leak: its real photo (by path or by
 * SHA-1) is in this run's val or test split, or it was made from a --data folder this run does not read
 * (that source is held out, e.g. a leave-one-source-out run). Faces from a user's --faces folder stay.
 */
export function dropLeakedSynthetic(splits: Record<Split, FaceSample[]>, dataDirs: string[]): LeakCheck {
  const heldOut = new Set<string>();
  for (const sp of ['val', 'test'] as const) {
    for (const s of splits[sp]) {
      heldOut.add(`path:${resolve(s.path)}`);
      if (s.group.startsWith('sha1:')) heldOut.add(`sha1:${s.group.slice(5)}`);
    }
  }
  const dirs = new Set(dataDirs.map((d) => resolve(d)));
  const dropped: LeakCheck['dropped'] = [];
  const keep = (s: FaceSample): boolean => {
    const from = s.derivedFrom;
    if (!from) return true;
    let reason: string | undefined;
    if (heldOut.has(`path:${resolve(from.path)}`) || (from.sha1 && heldOut.has(`sha1:${from.sha1}`))) {
      reason = `made from ${from.path}, which is in val/test of this split`;
    } else if (from.origin === 'data' && from.dataDir && !dirs.has(resolve(from.dataDir))) {
      reason = `made from ${from.dataDir}, which this run does not read (held-out source)`;
    }
    if (reason === undefined) return true;
    dropped.push({ sample: s, reason });
    return false;
  };
  const out: Record<Split, FaceSample[]> = {
    train: splits.train.filter(keep),
    val: splits.val.filter(keep),
    test: splits.test.filter(keep),
  };
  return { splits: out, dropped };
}
