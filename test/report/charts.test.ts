import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { wrapLabel } from '../../src/core/charts/bar-chart.js';
import {
  renderBarChartPng,
  renderConfusionMatrixPng,
  renderLineChartPng,
} from '../../src/core/charts/index.js';
import { formatTick, niceTicks } from '../../src/core/charts/svg.js';
import { MaskEdgeError } from '../../src/core/errors.js';

/** Decodes a PNG and returns its size and the grey-level variance (0 for a blank picture). */
async function inspectPng(png: Buffer) {
  const meta = await sharp(png).metadata();
  const { data } = await sharp(png).greyscale().raw().toBuffer({ resolveWithObject: true });
  let sum = 0;
  let sq = 0;
  for (const v of data) {
    sum += v;
    sq += v * v;
  }
  const mean = sum / data.length;
  return {
    format: meta.format,
    width: meta.width,
    height: meta.height,
    variance: sq / data.length - mean * mean,
  };
}

/** Fraction of non-white pixels in a region (to tell that something was drawn there). */
async function inkShare(png: Buffer, left: number, top: number, width: number, height: number) {
  const { data } = await sharp(png)
    .extract({ left, top, width, height })
    .greyscale()
    .raw()
    .toBuffer({ resolveWithObject: true });
  let ink = 0;
  for (const v of data) if (v < 200) ink++;
  return ink / data.length;
}

describe('charts', () => {
  it('renders a multi-series line chart as a non-blank PNG of the requested size', async () => {
    const png = await renderLineChartPng({
      title: 'loss',
      xLabel: 'epoch',
      series: [
        { name: 'train', values: [1, 0.7, 0.5, 0.4] },
        { name: 'val', values: [1.1, null, 0.6, 0.55], dashed: true },
      ],
      width: 640,
      height: 400,
    });
    const info = await inspectPng(png);
    expect(info).toMatchObject({ format: 'png', width: 640, height: 400 });
    expect(info.variance).toBeGreaterThan(100);
    // the plot area holds lines, a far corner stays empty
    expect(await inkShare(png, 80, 120, 540, 200)).toBeGreaterThan(0.005);
    expect(await inkShare(png, 620, 380, 20, 20)).toBe(0);
  });

  it('shades a confusion matrix by row share and sizes it to the labels', async () => {
    const png = await renderConfusionMatrixPng({
      title: 'cm',
      labels: ['correct', 'incorrect', 'no_mask'],
      confusion: [
        [50, 0, 0],
        [0, 5, 5],
        [0, 0, 9],
      ],
    });
    const info = await inspectPng(png);
    expect(info.format).toBe('png');
    expect(info.width).toBeGreaterThan(300);
    expect(info.variance).toBeGreaterThan(100);
    const two = await renderConfusionMatrixPng({
      title: 'cm',
      labels: ['a', 'b'],
      confusion: [
        [1, 0],
        [0, 1],
      ],
    });
    expect((await inspectPng(two)).width).toBeLessThan(info.width!);
  });

  it('renders grouped bars with values', async () => {
    const png = await renderBarChartPng({
      title: 'models',
      categories: ['teacher', 'student', 'forest'],
      series: [
        { name: 'accuracy', values: [0.95, 0.94, 0.8] },
        { name: 'balanced', values: [0.9, 0.88, null] },
      ],
      yMin: 0,
      yMax: 1,
      width: 600,
      height: 400,
    });
    const info = await inspectPng(png);
    expect(info).toMatchObject({ format: 'png', width: 600, height: 400 });
    expect(info.variance).toBeGreaterThan(100);
    // coloured bars fill a good part of the lower plot area
    expect(await inkShare(png, 70, 250, 500, 80)).toBeGreaterThan(0.2);
  });

  it('rejects charts without data or with mismatched shapes', async () => {
    await expect(renderLineChartPng({ title: 'x', series: [] })).rejects.toBeInstanceOf(MaskEdgeError);
    await expect(
      renderBarChartPng({ title: 'x', categories: ['a', 'b'], series: [{ name: 's', values: [1] }] }),
    ).rejects.toMatchObject({ code: 'E_USAGE' });
    await expect(
      renderConfusionMatrixPng({ title: 'x', labels: ['a', 'b'], confusion: [[1, 2]] }),
    ).rejects.toMatchObject({ code: 'E_USAGE' });
  });

  it('picks nice ticks that cover the data and formats them with enough decimals', () => {
    const r = niceTicks(0.13, 1.37, 5);
    expect(r.min).toBeLessThanOrEqual(0.13);
    expect(r.max).toBeGreaterThanOrEqual(1.37);
    expect(r.ticks.length).toBeGreaterThanOrEqual(4);
    expect(r.ticks.length).toBeLessThanOrEqual(8);
    expect(formatTick(0.75, 0.25)).toBe('0.75');
    expect(formatTick(10, 5)).toBe('10');
    expect(niceTicks(2, 2).max).toBeGreaterThan(2);
  });

  it('wraps long category names at separators, at most three lines', () => {
    expect(wrapLabel('student-vanilla-self-training', 14)).toEqual(['student-', 'vanilla-self-', 'training']);
    expect(wrapLabel('forest', 14)).toEqual(['forest']);
    const lines = wrapLabel('averyveryverylongnamewithoutanybreaksatall', 10);
    expect(lines).toHaveLength(3);
    expect(lines.every((l) => l.length <= 10)).toBe(true);
    expect(lines[2]!.endsWith('…')).toBe(true);
  });

  it('draws a single-epoch curve away from the axes', async () => {
    const png = await renderLineChartPng({
      title: 'one',
      series: [{ name: 's', values: [0.5] }],
      width: 400,
      height: 300,
    });
    // the only point sits in the middle column of the plot, not on the y axis
    expect(await inkShare(png, 210, 90, 30, 170)).toBeGreaterThan(0);
  });
});
