/**
 * The demo's sample photos (samples/demo/, six CC0 photos of the Kaggle face-mask set) and their annotated
 * faces (samples/demo/truth.json), plus the check the demo prints at the end: which photo each reported face
 * belongs to (same frame size, best box overlap) and whether its label is the annotated one.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { MaskEdgeError } from '../../core/errors.js';
import { LABELS, type Label } from '../../core/labels.js';
import { PACKAGE_ROOT } from '../../core/package-paths.js';
import type { MaskEvent } from '../events/event-types.js';
import { iou as boxIou } from '../tracking/box-iou.js';

export const SAMPLES_DIR = join(PACKAGE_ROOT, 'samples', 'demo');

const truthSchema = z.object({
  source: z.string(),
  license: z.string(),
  photos: z
    .array(
      z.object({
        file: z.string().regex(/^[\w.-]+\.jpe?g$/i),
        width: z.number().int().positive(),
        height: z.number().int().positive(),
        faces: z.array(
          z.object({
            label: z.enum(LABELS),
            box: z.tuple([z.number(), z.number(), z.number(), z.number()]),
          }),
        ),
      }),
    )
    .min(1),
});

export type SampleTruth = z.infer<typeof truthSchema>;
export type SamplePhoto = SampleTruth['photos'][number];

/** The sample photos' annotations; E_NOT_FOUND when the package lacks them. */
export function loadSampleTruth(dir = SAMPLES_DIR): SampleTruth & { dir: string } {
  const file = join(dir, 'truth.json');
  if (!existsSync(file)) {
    throw new MaskEdgeError('E_NOT_FOUND', `demo sample photos not found: ${file}`, {
      detail: { path: file },
    });
  }
  const truth = truthSchema.parse(JSON.parse(readFileSync(file, 'utf8')));
  for (const photo of truth.photos) {
    if (!existsSync(join(dir, photo.file))) {
      throw new MaskEdgeError('E_NOT_FOUND', `demo sample photo missing: ${join(dir, photo.file)}`, {
        detail: { path: join(dir, photo.file) },
      });
    }
  }
  return { ...truth, dir };
}

/** The sample photos' paths, in the order the demo shows them. */
export function samplePhotos(dir = SAMPLES_DIR): string[] {
  return loadSampleTruth(dir).photos.map((p) => join(dir, p.file));
}

export const LABEL_WORDS: Record<Label, string> = {
  correct: 'mask worn correctly',
  incorrect: 'mask worn incorrectly',
  no_mask: 'no mask',
};

export interface FaceCheck {
  photo: string;
  truth: Label;
  /** The label the agent reported for this face (its last `new`/`update`), if it reported one. */
  seen?: Label;
}

/**
 * Pairs each annotated face with the agent's reports: an event belongs to the photo of its frame size whose
 * annotated box it overlaps most (IoU >= 0.3). Events that match no annotated face are returned apart.
 */
export function checkAgainstTruth(
  truth: SampleTruth,
  events: readonly MaskEvent[],
): { faces: FaceCheck[]; unmatched: MaskEvent[] } {
  const faces: (FaceCheck & { box: [number, number, number, number]; w: number; h: number })[] =
    truth.photos.flatMap((p) =>
      p.faces.map((f) => ({ photo: p.file, truth: f.label, box: f.box, w: p.width, h: p.height })),
    );
  const unmatched: MaskEvent[] = [];
  const toBox = ([x, y, width, height]: readonly number[]) => ({
    x: x!,
    y: y!,
    width: width!,
    height: height!,
  });
  for (const event of events) {
    if (event.type === 'end') continue;
    let best: (typeof faces)[number] | undefined;
    let bestIou = 0.3;
    for (const face of faces) {
      if (face.w !== event.frame.width || face.h !== event.frame.height) continue;
      const iou = boxIou(toBox(face.box), toBox(event.box));
      if (iou >= bestIou) {
        best = face;
        bestIou = iou;
      }
    }
    if (best) best.seen = event.label;
    else unmatched.push(event);
  }
  return {
    faces: faces.map(({ photo, truth: t, seen }) => ({ photo, truth: t, ...(seen ? { seen } : {}) })),
    unmatched,
  };
}
