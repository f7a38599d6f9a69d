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

export interface LineSeries {
  name: string;
  /** y values; null/NaN leave a gap (e.g. an epoch without validation). */
  values: readonly (number | null)[];
  /** x values (default 1..n, e.g. epochs). */
  x?: readonly number[];
  color?: string;
  dashed?: boolean;
}

export interface LineChartOptions {
  title: string;
  series: readonly LineSeries[];
  xLabel?: string;
  yLabel?: string;
  width?: number;
  height?: number;
  /** Fix the y range (e.g. 0..1 for accuracy); default: fitted to the data with nice ticks. */
  yMin?: number;
  yMax?: number;
  /** Draw a dot on each point (default: when a series has at most 40 points). */
  markers?: boolean;
}

const MARGIN = { left: 70, right: 24, top: 52, bottom: 58 };

/** Builds the SVG of a line chart with axes, grid, title and a legend. */
export function lineChartSvg(options: LineChartOptions): string {
  const { width = 800, height = 460, title, series, xLabel = '', yLabel = '' } = options;
  checkSize(width, height);
  if (series.length === 0) {
    throw new MaskEdgeError('E_USAGE', 'a line chart needs at least one series', { detail: { title } });
  }
  const points = series.map((s) =>
    s.values.map((v, i) => ({ x: s.x?.[i] ?? i + 1, y: v })).filter((p) => isFiniteNumber(p.y)),
  ) as { x: number; y: number }[][];
  const allX = points.flat().map((p) => p.x);
  const allY = points.flat().map((p) => p.y);
  const xr = niceTicks(allX.length ? Math.min(...allX) : 0, allX.length ? Math.max(...allX) : 1, 8);
  const yr = niceTicks(
    options.yMin ?? (allY.length ? Math.min(...allY) : 0),
    options.yMax ?? (allY.length ? Math.max(...allY) : 1),
    6,
  );
  let xMin = allX.length ? Math.min(...allX) : xr.min;
  let xMax = allX.length ? Math.max(...allX) : xr.max;
  if (xMax - xMin < 1e-9) {
    // a single x (e.g. one epoch): centre it
    xMin -= 1;
    xMax += 1;
  }
  const x0 = MARGIN.left;
  const x1 = width - MARGIN.right;
  const y0 = height - MARGIN.bottom;
  const y1 = MARGIN.top + legendHeight(series, width);
  const sx = (v: number) => x0 + ((v - xMin) / Math.max(1e-12, xMax - xMin)) * (x1 - x0);
  const sy = (v: number) => y0 - ((v - yr.min) / Math.max(1e-12, yr.max - yr.min)) * (y0 - y1);
  const parts: string[] = [];
  parts.push(svgText(width / 2, 28, title, { size: 18, anchor: 'middle', weight: 'bold' }));
  // grid + y ticks
  const yStep = (yr.ticks[1] ?? yr.max) - (yr.ticks[0] ?? yr.min) || 1;
  for (const t of yr.ticks) {
    const y = sy(t);
    parts.push(
      `<line x1="${x0}" y1="${fmt(y)}" x2="${x1}" y2="${fmt(y)}" stroke="#e4e4e4" stroke-width="1"/>`,
    );
    parts.push(
      svgText(x0 - 8, y, formatTick(t, yStep), {
        size: 12,
        anchor: 'end',
        baseline: 'middle',
        color: '#555',
      }),
    );
  }
  // x ticks (integers only when the data is on integers, e.g. epochs)
  const integerX = allX.every((v) => Number.isInteger(v));
  const xStep = integerX ? 1 : (xr.ticks[1] ?? xr.max) - (xr.ticks[0] ?? xr.min) || 1;
  for (const t of xr.ticks) {
    if (t < xMin - 1e-9 || t > xMax + 1e-9 || (integerX && !Number.isInteger(t))) continue;
    const x = sx(t);
    parts.push(`<line x1="${fmt(x)}" y1="${y0}" x2="${fmt(x)}" y2="${y0 + 5}" stroke="#888"/>`);
    parts.push(svgText(x, y0 + 20, formatTick(t, xStep), { size: 12, anchor: 'middle', color: '#555' }));
  }
  parts.push(`<line x1="${x0}" y1="${y0}" x2="${x1}" y2="${y0}" stroke="#888"/>`);
  parts.push(`<line x1="${x0}" y1="${y1}" x2="${x0}" y2="${y0}" stroke="#888"/>`);
  if (xLabel) parts.push(svgText((x0 + x1) / 2, height - 14, xLabel, { size: 13, anchor: 'middle' }));
  if (yLabel) parts.push(svgText(18, (y0 + y1) / 2, yLabel, { size: 13, anchor: 'middle', rotate: -90 }));
  // series
  series.forEach((s, i) => {
    const color = s.color ?? paletteColor(i);
    const dash = s.dashed ? ' stroke-dasharray="7 5"' : '';
    for (const run of contiguousRuns(s)) {
      const d = run.map((p, j) => `${j === 0 ? 'M' : 'L'}${fmt(sx(p.x))} ${fmt(sy(p.y))}`).join(' ');
      parts.push(
        `<path d="${d}" fill="none" stroke="${color}" stroke-width="2.5" stroke-linejoin="round"${dash}/>`,
      );
    }
    const pts = points[i]!;
    if (options.markers ?? pts.length <= 40) {
      for (const p of pts) {
        parts.push(`<circle cx="${fmt(sx(p.x))}" cy="${fmt(sy(p.y))}" r="3.2" fill="${color}"/>`);
      }
    }
  });
  parts.push(legendSvg(series, width));
  return svgDocument(width, height, parts.join(''));
}

/** Renders a line chart to a PNG buffer. */
export async function renderLineChartPng(options: LineChartOptions): Promise<Buffer> {
  return svgToPng(lineChartSvg(options));
}

function isFiniteNumber(v: number | null | undefined): v is number {
  return typeof v === 'number' && Number.isFinite(v);
}

function contiguousRuns(s: LineSeries): { x: number; y: number }[][] {
  const runs: { x: number; y: number }[][] = [];
  let current: { x: number; y: number }[] = [];
  s.values.forEach((v, i) => {
    if (isFiniteNumber(v)) current.push({ x: s.x?.[i] ?? i + 1, y: v });
    else if (current.length) {
      runs.push(current);
      current = [];
    }
  });
  if (current.length) runs.push(current);
  return runs;
}

const LEGEND_ROW = 22;

function legendLayout(series: readonly LineSeries[], width: number): { x: number; row: number }[] {
  const slots: { x: number; row: number }[] = [];
  let x = MARGIN.left;
  let row = 0;
  for (const s of series) {
    const w = 36 + s.name.length * 7.5 + 18;
    if (x + w > width - MARGIN.right && x > MARGIN.left) {
      row++;
      x = MARGIN.left;
    }
    slots.push({ x, row });
    x += w;
  }
  return slots;
}

function legendHeight(series: readonly LineSeries[], width: number): number {
  const rows = Math.max(0, ...legendLayout(series, width).map((s) => s.row)) + 1;
  return rows * LEGEND_ROW + 6;
}

function legendSvg(series: readonly LineSeries[], width: number): string {
  return legendLayout(series, width)
    .map((slot, i) => {
      const s = series[i]!;
      const color = s.color ?? paletteColor(i);
      const y = MARGIN.top + slot.row * LEGEND_ROW + 6;
      const dash = s.dashed ? ' stroke-dasharray="7 5"' : '';
      return (
        `<line x1="${slot.x}" y1="${y}" x2="${slot.x + 28}" y2="${y}" stroke="${color}" stroke-width="3"${dash}/>` +
        svgText(slot.x + 34, y, s.name, { size: 13, baseline: 'middle' })
      );
    })
    .join('');
}
