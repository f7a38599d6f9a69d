import type { SynthVariant } from '../../core/dataset/index.js';

export interface Point {
  x: number;
  y: number;
}

/** Mask anchors in masks.cfg order: a, b, c along the top edge (left, middle, right); d, e, f along the bottom. */
export type SixPoints = readonly [Point, Point, Point, Point, Point, Point];

/**
 * Indices into the 68-point (iBUG 300-W / dlib) landmark layout face-api's landmark net outputs:
 * 0..16 jaw outline (0 on the image's left, 8 the chin), 27..30 nose bridge (30 the tip), 31..35 nostrils
 * (33 under the nose), 36..47 eyes, 48..67 lips (51 top of the upper lip, 57 bottom of the lower lip).
 */
export const LM = {
  jawLeft: 0,
  chin: 8,
  jawRight: 16,
  noseTop: 27,
  noseTip: 30,
  noseBottom: 33,
  upperLip: 51,
  lowerLip: 57,
} as const;

const sub = (a: Point, b: Point): Point => ({ x: a.x - b.x, y: a.y - b.y });
const add = (a: Point, b: Point): Point => ({ x: a.x + b.x, y: a.y + b.y });
const scale = (a: Point, k: number): Point => ({ x: a.x * k, y: a.y * k });
const dot = (a: Point, b: Point): number => a.x * b.x + a.y * b.y;
const lerp = (a: Point, b: Point, t: number): Point => add(a, scale(sub(b, a), t));
const dist = (a: Point, b: Point): number => Math.hypot(a.x - b.x, a.y - b.y);

/** The face's own frame: origin at the top of the nose bridge, `down` toward the chin, `level` along it. */
export class FaceFrame {
  readonly down: Point;
  readonly origin: Point;
  /** Nose-bridge-top to chin distance, in pixels. */
  readonly height: number;

  constructor(readonly lm: readonly Point[]) {
    this.origin = this.p(LM.noseTop);
    const axis = sub(this.p(LM.chin), this.origin);
    this.height = Math.hypot(axis.x, axis.y) || 1;
    this.down = scale(axis, 1 / this.height);
  }

  p(i: number): Point {
    return this.lm[i] as Point;
  }

  level(q: Point): number {
    return dot(sub(q, this.origin), this.down);
  }

  /**
   * The jaw outline's point at a level on one side (left: landmarks 0..8, right: 16..8). Above landmark 0/16
   * the outline is continued straight up; below the lower jaw (6 / 10) the width there is kept and moved down,
   * so a mask hanging under the chin keeps its width.
   */
  jawAt(level: number, side: 'left' | 'right'): Point {
    const idx = side === 'left' ? [0, 1, 2, 3, 4, 5, 6] : [16, 15, 14, 13, 12, 11, 10];
    const pts = idx.map((i) => this.p(i));
    const levels = pts.map((q) => this.level(q));
    const first = levels[0] as number;
    const last = levels[levels.length - 1] as number;
    if (level <= first) return add(pts[0] as Point, scale(this.down, level - first));
    if (level >= last) return add(pts[pts.length - 1] as Point, scale(this.down, level - last));
    for (let i = 0; i + 1 < pts.length; i++) {
      const l0 = levels[i] as number;
      const l1 = levels[i + 1] as number;
      if ((level - l0) * (level - l1) <= 0 && l1 !== l0) {
        return lerp(pts[i] as Point, pts[i + 1] as Point, (level - l0) / (l1 - l0));
      }
    }
    // The outline is not monotonic along the axis (a turned head): take the point of nearest level.
    let best = 0;
    for (let i = 1; i < levels.length; i++) {
      if (Math.abs((levels[i] as number) - level) < Math.abs((levels[best] as number) - level)) best = i;
    }
    return add(pts[best] as Point, scale(this.down, level - (levels[best] as number)));
  }

  /** The point on the face's centre line (nose bridge - chin) at a level. */
  centreAt(level: number): Point {
    return add(this.origin, scale(this.down, level));
  }
}

/**
 * Where the mask's top edge and bottom edge sit for a variant, as levels along the face axis (0 = top of the
 * nose bridge, 1 = chin, in units of that distance):
 * - correct: top on the upper nose bridge, bottom just under the chin;
 * - nose-out: top between the nose and the upper lip (nose uncovered), bottom under the chin;
 * - mouth-nose-out: top under the lower lip, bottom under the chin (only the chin covered);
 * - chin-out: top on the nose bridge, bottom just under the lower lip (chin uncovered);
 * - under-chin: the mask hangs below the chin, on the neck.
 */
export function variantLevels(frame: FaceFrame, variant: SynthVariant): { top: number; bottom: number } {
  const h = frame.height;
  const lv = (i: number) => frame.level(frame.p(i)) / h;
  const noseTip = lv(LM.noseTip);
  const noseBottom = lv(LM.noseBottom);
  const upperLip = lv(LM.upperLip);
  const lowerLip = lv(LM.lowerLip);
  switch (variant) {
    case 'correct':
      return { top: 0.4 * noseTip, bottom: 1.06 };
    case 'nose-out':
      return { top: noseBottom + 0.6 * (upperLip - noseBottom), bottom: 1.06 };
    case 'mouth-nose-out':
      return { top: lowerLip + 0.15 * (1 - lowerLip), bottom: 1.14 };
    case 'chin-out':
      return { top: 0.4 * noseTip, bottom: lowerLip + 0.3 * (1 - lowerLip) };
    case 'under-chin':
      return { top: 0.97, bottom: 1.5 };
  }
}

/**
 * The six points on the face a template's anchors go to: b and e on the face's centre line at the top and
 * bottom levels, a/c and d/f on the jaw outline. d/f sit at the same fraction between the top and bottom
 * edges as the template's own d/f (so each template's shape is kept); b/e follow the nose line sideways.
 */
export function faceAnchors(frame: FaceFrame, variant: SynthVariant, template: SixPoints): SixPoints {
  const { top, bottom } = variantLevels(frame, variant);
  const h = frame.height;
  const [ta, , tc, td, te, tf] = template;
  const topY = (ta.y + tc.y) / 2;
  const span = te.y - topY || 1;
  const sideFrac = Math.min(0.85, Math.max(0.2, ((td.y + tf.y) / 2 - topY) / span));
  const topLevel = top * h;
  const bottomLevel = bottom * h;
  const sideLevel = topLevel + sideFrac * (bottomLevel - topLevel);
  // The nose line is not straight down the axis on a turned head: move b/e sideways with the nose.
  const noseShift = sub(frame.p(LM.noseTip), frame.centreAt(frame.level(frame.p(LM.noseTip))));
  const bOffset = scale(noseShift, Math.min(1, Math.max(0, top * 1.5)));
  const eOffset = scale(noseShift, 0.3);
  return [
    frame.jawAt(topLevel, 'left'),
    add(frame.centreAt(topLevel), bOffset),
    frame.jawAt(topLevel, 'right'),
    frame.jawAt(sideLevel, 'left'),
    add(frame.centreAt(bottomLevel), eOffset),
    frame.jawAt(sideLevel, 'right'),
  ];
}

/**
 * Head turn from the landmarks: where the nose tip sits between the jaw ends (0.5 = frontal). Below ~0.38
 * the nose points to the image's left ('left' template), above ~0.62 to its right.
 */
export function faceView(lm: readonly Point[]): { view: 'front' | 'left' | 'right'; ratio: number } {
  const l = lm[LM.jawLeft] as Point;
  const r = lm[LM.jawRight] as Point;
  const n = lm[LM.noseTip] as Point;
  const across = sub(r, l);
  const ratio = dot(sub(n, l), across) / (dot(across, across) || 1);
  return { view: ratio < 0.38 ? 'left' : ratio > 0.62 ? 'right' : 'front', ratio };
}

/**
 * Why 68 landmarks cannot be trusted for placing a mask, or undefined when they look like a face: the
 * network always answers, so a face it did not find shows as collapsed, upside-down or out-of-order points.
 * `side` is the face box's shorter side in the same pixels.
 */
export function implausibleLandmarks(lm: readonly Point[], side: number): string | undefined {
  if (lm.length !== 68) return `expected 68 landmarks, got ${lm.length}`;
  if (!lm.every((p) => Number.isFinite(p.x) && Number.isFinite(p.y))) return 'non-finite landmark';
  const frame = new FaceFrame(lm);
  if (frame.height < 0.35 * side) {
    return `face too short: nose-to-chin ${frame.height.toFixed(1)} px in a ${side.toFixed(0)} px box`;
  }
  const width = dist(frame.p(LM.jawLeft), frame.p(LM.jawRight));
  if (width < 0.35 * side)
    return `face too narrow: jaw ${width.toFixed(1)} px in a ${side.toFixed(0)} px box`;
  if (frame.down.y < Math.cos((50 * Math.PI) / 180)) {
    return `face tilted ${((Math.acos(Math.max(-1, Math.min(1, frame.down.y))) * 180) / Math.PI).toFixed(0)} degrees`;
  }
  const h = frame.height;
  const lv = (i: number) => frame.level(frame.p(i)) / h;
  const order = [LM.noseTip, LM.noseBottom, LM.upperLip, LM.lowerLip].map(lv);
  const sorted = order.every((v, i) => i === 0 || v >= (order[i - 1] as number) - 0.02);
  if (!sorted || (order[0] as number) <= 0.05 || (order[3] as number) >= 0.98) {
    return 'nose, lips and chin out of order';
  }
  const { ratio } = faceView(lm);
  if (ratio < 0.08 || ratio > 0.92) return `head turned too far (nose at ${ratio.toFixed(2)} of the jaw)`;
  return undefined;
}
