import type { SynthVariant } from '../../core/dataset/index.js';
import { type Box, cropRgb, expandBox, type RgbImage, resizeRgb } from '../../core/image-io.js';
import type { SeededRandom } from '../../core/seeded-random.js';
import type { LandmarkFinder } from './face-landmarks.js';
import { FaceFrame, faceAnchors, faceView, implausibleLandmarks, type Point } from './mask-placement.js';
import { levelFor, type MaskTemplate, type TemplateView } from './mask-templates.js';
import { type CompositeResult, compositeMask, matchTone } from './mask-warp.js';

/** A real face ready for masks: its crop (as training crops it) and its 68 landmarks in the crop's pixels. */
export interface PreparedFace {
  crop: RgbImage;
  landmarks: Point[];
  view: TemplateView;
}

export type FaceSkipReason = 'tiny' | 'landmarks';

export interface PrepareFaceOptions {
  /** Context around the box, as training crops it (fraction per side; default 0.15). */
  margin?: number;
  /** Faces whose box (or image) has a shorter side under this are skipped as 'tiny' (default 48). */
  minFace?: number;
  /** Crops larger than this are scaled down to it before masks are drawn (default 224). */
  maxSide?: number;
}

/**
 * Finds the landmarks of one face (a box in a photo, or the whole image) and cuts the crop the masks are drawn
 * on: the box grown by `margin`, squared and clipped, exactly like training's crops. Returns why not when
 * the face is too small or its landmarks are implausible (the landmark net always answers, so a missed face
 * shows as collapsed or out-of-order points).
 */
export async function prepareFace(
  photo: RgbImage,
  box: Box | undefined,
  find: LandmarkFinder,
  options: PrepareFaceOptions = {},
): Promise<{ face: PreparedFace } | { skip: FaceSkipReason; message: string }> {
  const { margin = 0.15, minFace = 48, maxSide = 224 } = options;
  const side = box ? Math.min(box.width, box.height) : Math.min(photo.width, photo.height);
  if (side < minFace) return { skip: 'tiny', message: `face ${Math.round(side)} px < ${minFace} px` };
  const whole: Box = { x: 0, y: 0, width: photo.width, height: photo.height };
  const lmRegion = box ? expandBox(box, photo.width, photo.height, 0.05, true) : whole;
  const found = await find(cropRgb(photo, lmRegion));
  const inPhoto = found.map((p) => ({ x: p.x + lmRegion.x, y: p.y + lmRegion.y }));
  const why = implausibleLandmarks(inPhoto, side);
  if (why) return { skip: 'landmarks', message: why };
  const outRegion = box ? expandBox(box, photo.width, photo.height, margin, true) : whole;
  let crop = cropRgb(photo, outRegion);
  let landmarks = inPhoto.map((p) => ({ x: p.x - outRegion.x, y: p.y - outRegion.y }));
  const longest = Math.max(crop.width, crop.height);
  if (longest > maxSide) {
    const k = maxSide / longest;
    const w = Math.max(1, Math.round(crop.width * k));
    const h = Math.max(1, Math.round(crop.height * k));
    const kx = w / crop.width;
    const ky = h / crop.height;
    crop = await resizeRgb(crop, w, h);
    landmarks = landmarks.map((p) => ({ x: p.x * kx, y: p.y * ky }));
  }
  return { face: { crop, landmarks, view: faceView(landmarks).view } };
}

/**
 * A template for a face: one of the face's view (front / turned left / right) where the chosen families have
 * one, else a front one; the family is drawn first (so colours of one shape do not crowd out other shapes).
 */
export function chooseTemplate(
  templates: MaskTemplate[],
  view: TemplateView,
  rng: SeededRandom,
): MaskTemplate {
  let pool = templates.filter((t) => t.spec.view === view);
  if (pool.length === 0) pool = templates.filter((t) => t.spec.view === 'front');
  if (pool.length === 0) pool = templates;
  const families = [...new Set(pool.map((t) => t.spec.family))].sort();
  const family = families[rng.int(families.length)] as string;
  const members = pool.filter((t) => t.spec.family === family);
  return members[rng.int(members.length)] as MaskTemplate;
}

/** The face region whose colour sets the mask's tone: cheeks and nose (landmarks 1, 28, 15, 13, 33, 3). */
export function toneRegion(lm: readonly Point[]): Point[] {
  return [1, 28, 15, 13, 33, 3].map((i) => lm[i] as Point);
}

export interface RenderedMask extends CompositeResult {
  variant: SynthVariant;
  template: string;
  /** Where the template's anchors a..f went, in crop pixels. */
  anchors: readonly Point[];
}

/**
 * Draws one mask on a prepared face for a variant: anchors from the landmarks, the template's pyramid level
 * nearest the mask's width, tone from the face with a little random brightness. Undefined when the anchors
 * are degenerate (e.g. a face so turned that the jaw points meet).
 */
export function renderMask(
  face: PreparedFace,
  variant: SynthVariant,
  template: MaskTemplate,
  rng: SeededRandom,
): RenderedMask | undefined {
  const frame = new FaceFrame(face.landmarks);
  const anchors = faceAnchors(frame, variant, template.spec.anchors);
  const width = Math.hypot(anchors[2].x - anchors[0].x, anchors[2].y - anchors[0].y);
  const level = levelFor(template, width);
  const tone = matchTone(face.crop, toneRegion(face.landmarks), rng.uniform(0.88, 1.05));
  const result = compositeMask(face.crop, level, anchors, tone);
  if (!result) return undefined;
  return { ...result, variant, template: template.spec.name, anchors };
}
