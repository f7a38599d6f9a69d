import { MaskEdgeError } from '../errors.js';
import {
  checkSize,
  fmt,
  formatTick,
  niceTicks,
  paletteColor,
  svgDocument,
  svgText,
  svgToPng,
} from './svg.js';

export interface BarSeries {
  name: string;
  /** One value per category; null = no bar. */
  values: readonly (number | null)[];
  color?: string;
}

export interface BarChartOptions {
  title: string;
  /** Category names along the x axis (e.g. model names). */
  categories: readonly string[];
  /** One or more series, drawn as grouped bars. */
  series: readonly BarSeries[];
  yLabel?: string;
  width?: number;
  height?: number;
  yMin?: number;
  yMax?: number;
  /** Formats the value printed above each bar (default: 3 significant digits). */
  formatValue?: (v: number) => string;
}

const MARGIN = { left: 70, right: 24, top: 52, bottom: 84 };

/** Builds the SVG of a grouped bar chart, e.g. accuracy and balanced accuracy per model. */
export function barChartSvg(options: BarChartOptions): string {
  const { title, categories, series, yLabel = '' } = options;
  const width = options.width ?? Math.max(560, 140 + categories.length * (40 + 34 * series.length));
  const height = options.height ?? 440;
  checkSize(width, height);
  if (categories.length === 0 || series.length === 0) {
    throw new MaskEdgeError('E_USAGE', 'a bar chart needs at least one category and one series', {
      detail: { title, categories: categories.length, series: series.length },
    });
  }
  const bad = series.find((s) => s.values.length !== categories.length);
  if (bad) {
    throw new MaskEdgeError(
      'E_USAGE',
      `bar series "${bad.name}" has ${bad.values.length} values, expected ${categories.length}`,
      {
        detail: { series: bad.name },
      },
    );
  }
  const values = series.flatMap((s) =>
    s.values.filter((v): v is number => typeof v === 'number' && Number.isFinite(v)),
  );
  const yr = niceTicks(
    options.yMin ?? Math.min(0, ...values),
    options.yMax ?? Math.max(...values, options.yMin ?? 0),
    6,
  );
  const fmtValue = options.formatValue ?? ((v: number) => Number(v.toPrecision(3)).toString());
  const x0 = MARGIN.left;
  const x1 = width - MARGIN.right;
  const y0 = height - MARGIN.bottom;
  const y1 = MARGIN.top + (series.length > 1 ? 28 : 0);
  const sy = (v: number) =>
    y0 - ((Math.max(yr.min, Math.min(yr.max, v)) - yr.min) / (yr.max - yr.min)) * (y0 - y1);
  const parts: string[] = [];
  parts.push(svgText(width / 2, 28, title, { size: 18, anchor: 'middle', weight: 'bold' }));
  const yStep = (yr.ticks[1] ?? yr.max) - (yr.ticks[0] ?? yr.min) || 1;
  for (const t of yr.ticks) {
    const y = sy(t);
    parts.push(`<line x1="${x0}" y1="${fmt(y)}" x2="${x1}" y2="${fmt(y)}" stroke="#e4e4e4"/>`);
    parts.push(
      svgText(x0 - 8, y, formatTick(t, yStep), {
        size: 12,
        anchor: 'end',
        baseline: 'middle',
        color: '#555',
      }),
    );
  }
  const groupW = (x1 - x0) / categories.length;
  const barW = Math.min(60, (groupW * 0.78) / series.length);
  categories.forEach((cat, ci) => {
    const gx = x0 + groupW * ci + (groupW - barW * series.length) / 2;
    series.forEach((s, si) => {
      const v = s.values[ci];
      if (typeof v !== 'number' || !Number.isFinite(v)) return;
      const x = gx + barW * si;
      const top = sy(v);
      const base = sy(Math.max(yr.min, 0));
      const y = Math.min(top, base);
      const h = Math.max(1, Math.abs(base - top));
      parts.push(
        `<rect x="${fmt(x + 1)}" y="${fmt(y)}" width="${fmt(barW - 2)}" height="${fmt(h)}" fill="${s.color ?? paletteColor(si)}"/>`,
      );
      parts.push(svgText(x + barW / 2, y - 5, fmtValue(v), { size: 11, anchor: 'middle', color: '#333' }));
    });
    wrapLabel(cat, Math.max(4, Math.floor(groupW / 7.8))).forEach((line, li) => {
      parts.push(
        svgText(x0 + groupW * ci + groupW / 2, y0 + 20 + li * 16, line, { size: 13, anchor: 'middle' }),
      );
    });
  });
  parts.push(`<line x1="${x0}" y1="${y0}" x2="${x1}" y2="${y0}" stroke="#888"/>`);
  parts.push(`<line x1="${x0}" y1="${y1}" x2="${x0}" y2="${y0}" stroke="#888"/>`);
  if (yLabel) parts.push(svgText(18, (y0 + y1) / 2, yLabel, { size: 13, anchor: 'middle', rotate: -90 }));
  if (series.length > 1) {
    let lx = x0;
    series.forEach((s, si) => {
      parts.push(
        `<rect x="${lx}" y="${MARGIN.top}" width="14" height="14" fill="${s.color ?? paletteColor(si)}"/>`,
      );
      parts.push(svgText(lx + 20, MARGIN.top + 7, s.name, { size: 13, baseline: 'middle' }));
      lx += 40 + s.name.length * 7.5;
    });
  }
  return svgDocument(width, height, parts.join(''));
}

/** Renders a grouped bar chart to a PNG buffer. */
export async function renderBarChartPng(options: BarChartOptions): Promise<Buffer> {
  return svgToPng(barChartSvg(options));
}

/** Splits a category name into at most 3 lines of `max` characters, preferring breaks after - _ . or space. */
export function wrapLabel(text: string, max: number): string[] {
  const lines: string[] = [];
  let rest = text;
  while (rest.length > max && lines.length < 2) {
    const window = rest.slice(0, max + 1);
    const cut = Math.max(...['-', '_', '.', ' '].map((c) => window.lastIndexOf(c)));
    const at = cut >= Math.floor(max / 3) ? cut + 1 : max;
    lines.push(rest.slice(0, at).trimEnd());
    rest = rest.slice(at).trimStart();
  }
  lines.push(rest.length > max ? `${rest.slice(0, Math.max(1, max - 1))}…` : rest);
  return lines;
}
