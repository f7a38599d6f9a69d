import { readFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import sharp from 'sharp';
import { MaskEdgeError } from '../../core/errors.js';
import type { Point, SixPoints } from './mask-placement.js';

/** Which way the mask template faces: front, or turned (the nose toward the image's left / right). */
export type TemplateView = 'front' | 'left' | 'right';

/** One `[section]` of masks.cfg: a template PNG and its six anchor points (a, b, c top; d, e, f bottom). */
export interface TemplateSpec {
  name: string;
  /** File name of the PNG in the templates/ folder. */
  file: string;
  anchors: SixPoints;
  view: TemplateView;
  /** Family without the view suffix, e.g. 'surgical_blue'. */
  family: string;
}

/** RGBA pixels at one scale of the pyramid, with the anchors in that scale's pixels. */
export interface TemplateLevel {
  width: number;
  height: number;
  /** Interleaved RGBA, row-major. */
  data: Uint8Array;
  anchors: SixPoints;
}

/** A decoded template: its spec and halving scales (level 0 = the PNG as it is). */
export interface MaskTemplate {
  spec: TemplateSpec;
  levels: TemplateLevel[];
}

const ANCHOR_KEYS = ['mask_a', 'mask_b', 'mask_c', 'mask_d', 'mask_e', 'mask_f'] as const;

/** Families left out unless asked for: a gas-mask respirator is not what the classifier is about. */
export const DEFAULT_EXCLUDED_FAMILIES = ['gas'];

/**
 * Templates never used: in N95_left / N95_right the anchors a and d sit on the far end of the straps, not on the
 * cup's edge, so the cup lands on one cheek with the straps across the face (seen in the gallery).
 */
export const BROKEN_TEMPLATES = ['N95_left', 'N95_right'];

/**
 * Parses MaskTheFace's masks.cfg (INI: `[name]`, `template: path`, `mask_a: x, y` ... `mask_f`; `;` comments).
 * Sections without a template or without all six anchors ('empty', 'inpaint') are skipped; a later section
 * of the same name replaces an earlier one. A bad anchor value is E_DATA naming the section and key.
 */
export function parseMaskConfig(text: string, path = 'masks.cfg'): TemplateSpec[] {
  const sections = new Map<string, Record<string, string>>();
  let current: Record<string, string> | undefined;
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === '' || line.startsWith(';') || line.startsWith('#')) continue;
    const header = /^\[(.+)\]$/.exec(line);
    if (header) {
      current = {};
      sections.set((header[1] as string).trim(), current);
      continue;
    }
    const kv = /^([A-Za-z_]+)\s*[:=]\s*(.*)$/.exec(line);
    if (kv && current) current[kv[1] as string] = (kv[2] as string).trim();
  }
  const specs: TemplateSpec[] = [];
  for (const [name, keys] of sections) {
    if (!keys.template || !ANCHOR_KEYS.every((k) => keys[k] !== undefined)) continue;
    const anchors = ANCHOR_KEYS.map((k): Point => {
      const nums = (keys[k] as string).split(',').map((v) => Number(v.trim()));
      if (nums.length !== 2 || !nums.every(Number.isFinite)) {
        throw new MaskEdgeError('E_DATA', `${path} [${name}] ${k}: expected 'x, y', got '${keys[k]}'`, {
          detail: { path, section: name, key: k, value: keys[k] },
        });
      }
      return { x: nums[0] as number, y: nums[1] as number };
    }) as unknown as SixPoints;
    const view: TemplateView = /_left$/i.test(name) ? 'left' : /_right$/i.test(name) ? 'right' : 'front';
    specs.push({
      name,
      file: basename(keys.template),
      anchors,
      view,
      family: name.replace(/_(left|right)$/i, ''),
    });
  }
  return specs;
}

/**
 * Reads `DIR/masks.cfg` and decodes the chosen templates from `DIR/templates/` (RGBA) with a pyramid of
 * halved scales, so a mask is drawn from a scale near its size on the face (no aliasing from a 600 px
 * template squeezed onto a 60 px face). `families` picks families (default: all but gas).
 */
export async function loadMaskTemplates(dir: string, families?: string[]): Promise<MaskTemplate[]> {
  const cfgPath = join(dir, 'masks.cfg');
  let text: string;
  try {
    text = await readFile(cfgPath, 'utf8');
  } catch (cause) {
    throw new MaskEdgeError('E_NOT_FOUND', `mask templates: no masks.cfg in ${dir}`, {
      detail: { path: cfgPath },
      cause,
    });
  }
  const all = parseMaskConfig(text, cfgPath);
  const known = [...new Set(all.map((s) => s.family))];
  for (const f of families ?? []) {
    if (!known.includes(f)) {
      throw new MaskEdgeError('E_USAGE', `unknown mask template family '${f}' (known: ${known.join(', ')})`, {
        detail: { family: f, known },
      });
    }
  }
  const chosen = all.filter(
    (s) =>
      !BROKEN_TEMPLATES.includes(s.name) &&
      (families ? families.includes(s.family) : !DEFAULT_EXCLUDED_FAMILIES.includes(s.family)),
  );
  const out: MaskTemplate[] = [];
  for (const spec of chosen) {
    const file = join(dir, 'templates', spec.file);
    let level0: TemplateLevel;
    try {
      const { data, info } = await sharp(file).ensureAlpha().raw().toBuffer({ resolveWithObject: true });
      level0 = {
        width: info.width,
        height: info.height,
        data: new Uint8Array(data.buffer, data.byteOffset, data.length),
        anchors: spec.anchors,
      };
    } catch (cause) {
      throw new MaskEdgeError('E_IMAGE', `mask template ${spec.name}: cannot decode ${file}`, {
        detail: { path: file, template: spec.name },
        cause,
      });
    }
    const levels = [level0];
    for (let prev = level0; prev.width >= 64 && prev.height >= 64; ) {
      const width = Math.round(prev.width / 2);
      const height = Math.round(prev.height / 2);
      const data = await sharp(prev.data, { raw: { width: prev.width, height: prev.height, channels: 4 } })
        .resize(width, height, { fit: 'fill', kernel: 'linear' })
        .raw()
        .toBuffer();
      const sx = width / level0.width;
      const sy = height / level0.height;
      const next: TemplateLevel = {
        width,
        height,
        data: new Uint8Array(data.buffer, data.byteOffset, data.length),
        anchors: spec.anchors.map((p) => ({ x: p.x * sx, y: p.y * sy })) as unknown as SixPoints,
      };
      levels.push(next);
      prev = next;
    }
    out.push({ spec, levels });
  }
  if (out.length === 0) {
    throw new MaskEdgeError('E_DATA', `no mask templates selected in ${cfgPath}`, {
      detail: { path: cfgPath, families: families ?? null },
    });
  }
  return out;
}

/** The smallest pyramid level still at least `width` px wide (the mask's width on the face). */
export function levelFor(template: MaskTemplate, width: number): TemplateLevel {
  let chosen = template.levels[0] as TemplateLevel;
  for (const level of template.levels) {
    const span = Math.abs(level.anchors[2].x - level.anchors[0].x);
    if (span >= width) chosen = level;
  }
  return chosen;
}
