import type { RgbImage } from '../../core/image-io.js';
import type { Point, SixPoints } from './mask-placement.js';
import type { TemplateLevel } from './mask-templates.js';

/** The template quad split into four triangles over its six anchors (a b c / d e f): left and right halves. */
const TRIANGLES: readonly (readonly [number, number, number])[] = [
  [0, 1, 3],
  [1, 4, 3],
  [1, 2, 5],
  [1, 5, 4],
];

interface Triangle {
  /** Destination vertices. */
  d: [Point, Point, Point];
  /** Template vertices. */
  s: [Point, Point, Point];
  /** 1 / twice the signed area of the destination triangle. */
  inv: number;
}

export interface CompositeResult {
  image: RgbImage;
  /** Mask opacity per pixel of `image` (0..1), row-major. */
  alpha: Float32Array;
}

/** Per-channel gain applied to the mask's colours (brightness and colour cast of the face's light). */
export type Tone = readonly [number, number, number];

/**
 * Draws a mask template onto a face: a piecewise-affine warp (four triangles over the six anchors) maps the
 * template's anchors exactly onto `dst`; template pixels outside the anchors' hull follow the nearest
 * triangle. Each output pixel is sampled from the template bilinearly (RGBA) and blended by its alpha, the
 * mask's colours multiplied by `tone`. Returns undefined when a destination triangle is degenerate
 * (under 1 px of area): the anchors do not describe a drawable mask.
 */
export function compositeMask(
  face: RgbImage,
  template: TemplateLevel,
  dst: SixPoints,
  tone: Tone = [1, 1, 1],
): CompositeResult | undefined {
  const tris: Triangle[] = [];
  for (const [i, j, k] of TRIANGLES) {
    const d: [Point, Point, Point] = [dst[i] as Point, dst[j] as Point, dst[k] as Point];
    const area2 = (d[1].x - d[0].x) * (d[2].y - d[0].y) - (d[2].x - d[0].x) * (d[1].y - d[0].y);
    if (Math.abs(area2) < 2) return undefined;
    const s = template.anchors;
    tris.push({ d, s: [s[i] as Point, s[j] as Point, s[k] as Point], inv: 1 / area2 });
  }
  const { width: W, height: H } = face;
  const out = new Uint8Array(face.data);
  const alpha = new Float32Array(W * H);
  const box = drawnBounds(tris, template, W, H);
  const tw = template.width;
  const th = template.height;
  const td = template.data;
  const bary = (t: Triangle, x: number, y: number): [number, number, number] => {
    const [p0, p1, p2] = t.d;
    const l1 = ((x - p0.x) * (p2.y - p0.y) - (p2.x - p0.x) * (y - p0.y)) * t.inv;
    const l2 = ((p1.x - p0.x) * (y - p0.y) - (x - p0.x) * (p1.y - p0.y)) * t.inv;
    return [1 - l1 - l2, l1, l2];
  };
  for (let y = box.y0; y < box.y1; y++) {
    for (let x = box.x0; x < box.x1; x++) {
      const cx = x + 0.5;
      const cy = y + 0.5;
      let best: Triangle = tris[0] as Triangle;
      let bestL: [number, number, number] = [0, 0, 0];
      let bestMin = Number.NEGATIVE_INFINITY;
      for (const t of tris) {
        const l = bary(t, cx, cy);
        const m = Math.min(l[0], l[1], l[2]);
        if (m > bestMin) {
          bestMin = m;
          best = t;
          bestL = l;
        }
        if (m >= 0) break;
      }
      const sx = bestL[0] * best.s[0].x + bestL[1] * best.s[1].x + bestL[2] * best.s[2].x - 0.5;
      const sy = bestL[0] * best.s[0].y + bestL[1] * best.s[1].y + bestL[2] * best.s[2].y - 0.5;
      if (sx <= -1 || sy <= -1 || sx >= tw || sy >= th) continue;
      const x0 = Math.floor(sx);
      const y0 = Math.floor(sy);
      const fx = sx - x0;
      const fy = sy - y0;
      // Bilinear over the four neighbours (outside the template counts as transparent), premultiplied.
      let r = 0;
      let g = 0;
      let b = 0;
      let a = 0;
      for (let k = 0; k < 4; k++) {
        const px = x0 + (k & 1);
        const py = y0 + (k >> 1);
        if (px < 0 || py < 0 || px >= tw || py >= th) continue;
        const w = ((k & 1) === 1 ? fx : 1 - fx) * (k >> 1 === 1 ? fy : 1 - fy);
        const o = (py * tw + px) * 4;
        const pa = ((td[o + 3] as number) / 255) * w;
        r += (td[o] as number) * pa;
        g += (td[o + 1] as number) * pa;
        b += (td[o + 2] as number) * pa;
        a += pa;
      }
      if (a <= 1e-3) continue;
      const o = (y * W + x) * 3;
      const keep = 1 - a;
      out[o] = clampByte((out[o] as number) * keep + r * tone[0]);
      out[o + 1] = clampByte((out[o + 1] as number) * keep + g * tone[1]);
      out[o + 2] = clampByte((out[o + 2] as number) * keep + b * tone[2]);
      alpha[y * W + x] = a;
    }
  }
  return { image: { width: W, height: H, data: out }, alpha };
}

const clampByte = (v: number): number => (v <= 0 ? 0 : v >= 255 ? 255 : Math.round(v));

/** Output pixels the template can reach: its corners carried by every triangle's affine map, clipped. */
function drawnBounds(
  tris: Triangle[],
  template: TemplateLevel,
  W: number,
  H: number,
): { x0: number; y0: number; x1: number; y1: number } {
  const corners: Point[] = [
    { x: 0, y: 0 },
    { x: template.width, y: 0 },
    { x: 0, y: template.height },
    { x: template.width, y: template.height },
  ];
  let x0 = Number.POSITIVE_INFINITY;
  let y0 = Number.POSITIVE_INFINITY;
  let x1 = Number.NEGATIVE_INFINITY;
  let y1 = Number.NEGATIVE_INFINITY;
  for (const t of tris) {
    const [s0, s1, s2] = t.s;
    const sArea = (s1.x - s0.x) * (s2.y - s0.y) - (s2.x - s0.x) * (s1.y - s0.y);
    if (Math.abs(sArea) < 1e-6) continue;
    for (const c of corners) {
      const l1 = ((c.x - s0.x) * (s2.y - s0.y) - (s2.x - s0.x) * (c.y - s0.y)) / sArea;
      const l2 = ((s1.x - s0.x) * (c.y - s0.y) - (c.x - s0.x) * (s1.y - s0.y)) / sArea;
      const l0 = 1 - l1 - l2;
      const x = l0 * t.d[0].x + l1 * t.d[1].x + l2 * t.d[2].x;
      const y = l0 * t.d[0].y + l1 * t.d[1].y + l2 * t.d[2].y;
      x0 = Math.min(x0, x);
      y0 = Math.min(y0, y);
      x1 = Math.max(x1, x);
      y1 = Math.max(y1, y);
    }
  }
  return {
    x0: Math.max(0, Math.floor(x0)),
    y0: Math.max(0, Math.floor(y0)),
    x1: Math.min(W, Math.ceil(x1)),
    y1: Math.min(H, Math.ceil(y1)),
  };
}

/** Typical skin colour ratios (channel / luma) under neutral light, and its luma in a well-lit photo. */
const SKIN_RATIO: Tone = [1.2, 0.95, 0.8];
const SKIN_LUMA = 150;

/**
 * The tone that makes a mask look lit like the face: the mean colour of the face's cheeks and nose (inside
 * `region`, a polygon) against typical skin in neutral light gives a brightness gain (0.35..1: a mask is never brightened past its own colours) and a mild
 * colour cast (each channel within 0.85..1.15). `jitter` (e.g. 0.92..1.08) varies the result per mask.
 */
export function matchTone(face: RgbImage, region: readonly Point[], jitter = 1): Tone {
  const xs = region.map((p) => p.x);
  const ys = region.map((p) => p.y);
  const xa = Math.max(0, Math.floor(Math.min(...xs)));
  const xb = Math.min(face.width, Math.ceil(Math.max(...xs)));
  const ya = Math.max(0, Math.floor(Math.min(...ys)));
  const yb = Math.min(face.height, Math.ceil(Math.max(...ys)));
  let sr = 0;
  let sg = 0;
  let sb = 0;
  let n = 0;
  for (let y = ya; y < yb; y++) {
    for (let x = xa; x < xb; x++) {
      if (!insidePolygon(region, x + 0.5, y + 0.5)) continue;
      const o = (y * face.width + x) * 3;
      sr += face.data[o] as number;
      sg += face.data[o + 1] as number;
      sb += face.data[o + 2] as number;
      n++;
    }
  }
  if (n === 0) return [jitter, jitter, jitter];
  const mean: [number, number, number] = [sr / n, sg / n, sb / n];
  const luma = 0.299 * mean[0] + 0.587 * mean[1] + 0.114 * mean[2];
  const gain = Math.min(1, Math.max(0.35, luma / SKIN_LUMA)) * jitter;
  return mean.map((m, c) => {
    const cast = luma > 1 ? m / luma / (SKIN_RATIO[c] as number) : 1;
    return gain * Math.min(1.15, Math.max(0.85, Math.sqrt(cast)));
  }) as unknown as Tone;
}

/** Even-odd rule point-in-polygon test. */
export function insidePolygon(poly: readonly Point[], x: number, y: number): boolean {
  let inside = false;
  for (let i = 0, j = poly.length - 1; i < poly.length; j = i++) {
    const a = poly[i] as Point;
    const b = poly[j] as Point;
    if (a.y > y !== b.y > y && x < ((b.x - a.x) * (y - a.y)) / (b.y - a.y) + a.x) inside = !inside;
  }
  return inside;
}
