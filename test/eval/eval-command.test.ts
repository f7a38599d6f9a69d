import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { main } from '../../src/cli/main.js';
import { meanColourClassifier, tempDir, writeModel } from '../inference/tiny-models.js';

const RED: [number, number, number] = [220, 30, 30];
const GREEN: [number, number, number] = [30, 220, 30];
const BLUE: [number, number, number] = [30, 30, 220];

/** Folder label -> colours of its images; the mean-colour model predicts red=correct, green=incorrect, blue=no_mask. */
const LAYOUT: Record<string, [number, number, number][]> = {
  correct: [RED, RED, RED, RED, BLUE], // one correct face "looks" no_mask
  incorrect: [GREEN, GREEN, RED], // one incorrect face "looks" correct
  no_mask: [BLUE, BLUE, BLUE],
};

async function writeImageFolder(root: string, split?: string): Promise<void> {
  for (const [label, colours] of Object.entries(LAYOUT)) {
    const dir = split ? join(root, split, label) : join(root, label);
    mkdirSync(dir, { recursive: true });
    for (const [i, [r, g, b]] of colours.entries()) {
      // Different sizes and a little texture so files differ (no duplicate groups).
      const size = 40 + i * 4;
      const png = await sharp({ create: { width: size, height: size, channels: 3, background: { r, g, b } } })
        .png()
        .toBuffer();
      writeFileSync(join(dir, `${label}-${i}.png`), png);
    }
  }
}

async function runCli(args: string[]): Promise<{ code: number; stdout: string }> {
  let stdout = '';
  const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    stdout += chunk.toString();
    return true;
  });
  try {
    const code = await main(['node', 'mask-edge', ...args]);
    return { code, stdout };
  } finally {
    spy.mockRestore();
  }
}

describe('mask-edge eval (classifier)', () => {
  const dir = tempDir('mask-edge-eval-');
  const data = join(dir, 'data');
  const model = writeModel(dir, 'mean.onnx', meanColourClassifier({ size: 16 }));
  beforeAll(async () => {
    await writeImageFolder(data);
    await writeImageFolder(join(dir, 'splitdata'), 'test');
  });
  afterEach(() => vi.restoreAllMocks());

  it('--json prints exactly one JSON object with the metrics of the planted predictions', async () => {
    const { code, stdout } = await runCli([
      'eval',
      '--model',
      model,
      '--data',
      data,
      '--json',
      '--providers',
      'cpu',
    ]);
    expect(code).toBe(0);
    expect(stdout.trim().split('\n')).toHaveLength(1);
    const out = JSON.parse(stdout);
    expect(Object.keys(out)).toEqual(
      expect.arrayContaining(['samples', 'accuracy', 'balancedAccuracy', 'perLabel', 'confusion', 'labels']),
    );
    expect(out.labels).toEqual(['correct', 'incorrect', 'no_mask']);
    expect(out.samples).toBe(11);
    expect(out.confusion).toEqual([
      [4, 0, 1],
      [1, 2, 0],
      [0, 0, 3],
    ]);
    expect(out.accuracy).toBeCloseTo(9 / 11, 10);
    expect(out.balancedAccuracy).toBeCloseTo((4 / 5 + 2 / 3 + 1) / 3, 10);
    expect(out.perLabel.correct).toEqual({ precision: 4 / 5, recall: 4 / 5, support: 5 });
    expect(out.perLabel.incorrect.precision).toBe(1);
    expect(out.perLabel.no_mask).toEqual({ precision: 3 / 4, recall: 1, support: 3 });
    expect(out.model.provider).toBe('cpu');
  });

  it('without --json prints a readable report', async () => {
    const { code, stdout } = await runCli(['eval', '--model', model, '--data', data, '--providers', 'cpu']);
    expect(code).toBe(0);
    expect(stdout).toMatch(/accuracy\s+81\.8%/);
    expect(stdout).toMatch(/confusion/);
  });

  it('--split-file evaluates only the listed held-out ids; --split uses preset split folders', async () => {
    const { readDataset } = await import('../../src/core/dataset/index.js');
    const { samples } = await readDataset([data]);
    const test = samples.filter((s) => s.label === 'no_mask' || s.path.endsWith('correct-4.png'));
    const runDir = join(dir, 'run');
    mkdirSync(runDir, { recursive: true });
    writeFileSync(
      join(runDir, 'split.json'),
      JSON.stringify({ train: [], val: [], test: test.map((s) => s.id) }),
    );
    const held = JSON.parse(
      (await runCli(['eval', '--model', model, '--data', data, '--split-file', runDir, '--json'])).stdout,
    );
    expect(held.samples).toBe(4);
    expect(held.confusion[0]).toEqual([0, 0, 1]);
    const preset = JSON.parse(
      (
        await runCli([
          'eval',
          '--model',
          model,
          '--data',
          join(dir, 'splitdata'),
          '--split',
          'test',
          '--json',
        ])
      ).stdout,
    );
    expect(preset.samples).toBe(11);
  });

  it('on photos with boxes (VOC) it also reports accuracy by face size, the same buckets as --pipeline', async () => {
    // One grey photo, four coloured faces: 20 px red (correct, right), 40 px green (correct, wrong), 40 px blue
    // (no_mask, right) and 120 px blue (no_mask, right). The crops take 15% grey context; the colour still wins.
    const voc = join(dir, 'voc');
    mkdirSync(join(voc, 'images'), { recursive: true });
    mkdirSync(join(voc, 'annotations'), { recursive: true });
    const faces = [
      { x: 20, y: 20, side: 20, rgb: RED, name: 'with_mask' },
      { x: 80, y: 20, side: 40, rgb: GREEN, name: 'with_mask' },
      { x: 140, y: 20, side: 40, rgb: BLUE, name: 'without_mask' },
      { x: 200, y: 60, side: 120, rgb: BLUE, name: 'without_mask' },
    ];
    const photo = await sharp({ create: { width: 360, height: 220, channels: 3, background: '#808080' } })
      .composite(
        await Promise.all(
          faces.map(async (f) => ({
            input: await sharp({
              create: {
                width: f.side,
                height: f.side,
                channels: 3,
                background: { r: f.rgb[0], g: f.rgb[1], b: f.rgb[2] },
              },
            })
              .png()
              .toBuffer(),
            left: f.x,
            top: f.y,
          })),
        ),
      )
      .png()
      .toBuffer();
    writeFileSync(join(voc, 'images', 'p1.png'), photo);
    const objects = faces
      .map(
        (f) =>
          `<object><name>${f.name}</name><bndbox><xmin>${f.x}</xmin><ymin>${f.y}</ymin><xmax>${f.x + f.side}</xmax><ymax>${f.y + f.side}</ymax></bndbox></object>`,
      )
      .join('');
    writeFileSync(
      join(voc, 'annotations', 'p1.xml'),
      `<annotation><filename>p1.png</filename><size><width>360</width><height>220</height><depth>3</depth></size>${objects}</annotation>`,
    );
    const out = JSON.parse(
      (await runCli(['eval', '--model', model, '--data', voc, '--json', '--providers', 'cpu'])).stdout,
    );
    expect(out.samples).toBe(4);
    expect(out.accuracyBySize).toEqual({
      '16-24': { faces: 1, right: 1, accuracy: 1 },
      '32-48': { faces: 2, right: 1, accuracy: 0.5 },
      '>=96': { faces: 1, right: 1, accuracy: 1 },
    });
    const text = (await runCli(['eval', '--model', model, '--data', voc, '--providers', 'cpu'])).stdout;
    expect(text).toMatch(
      /accuracy by face size[^\n]*\n\s+16-24\s+100\.0% \(1\/1\)\n\s+32-48\s+50\.0% \(1\/2\)/,
    );
    // whole-image faces (ImageFolder) have no size of their own: no bucket table
    const folder = JSON.parse((await runCli(['eval', '--model', model, '--data', data, '--json'])).stdout);
    expect(folder.accuracyBySize).toBeUndefined();
  });

  it('scores every face of a VOC set with its own label names (aliases, --label-map) and counts what it skips', async () => {
    // ILC names: with_mask / without_mask / with_incorrect_mask, plus 'MaskOn' (mapped) and 'helmet' (unknown).
    const voc = join(dir, 'voc-ilc');
    mkdirSync(join(voc, 'images'), { recursive: true });
    mkdirSync(join(voc, 'annotations'), { recursive: true });
    const faces = [
      { x: 10, y: 20, rgb: RED, name: 'with_mask' },
      { x: 70, y: 20, rgb: GREEN, name: 'with_incorrect_mask' },
      { x: 130, y: 20, rgb: GREEN, name: 'with_incorrect_mask' },
      { x: 190, y: 20, rgb: BLUE, name: 'without_mask' },
      { x: 250, y: 20, rgb: RED, name: 'MaskOn' },
      { x: 310, y: 20, rgb: BLUE, name: 'helmet' },
    ];
    const side = 40;
    const square = (rgb: [number, number, number]) =>
      sharp({
        create: { width: side, height: side, channels: 3, background: { r: rgb[0], g: rgb[1], b: rgb[2] } },
      })
        .png()
        .toBuffer();
    const photo = await sharp({ create: { width: 380, height: 100, channels: 3, background: '#808080' } })
      .composite(
        await Promise.all(faces.map(async (f) => ({ input: await square(f.rgb), left: f.x, top: f.y }))),
      )
      .png()
      .toBuffer();
    writeFileSync(join(voc, 'images', 'p1.png'), photo);
    const objects = faces
      .map(
        (f) =>
          `<object><name>${f.name}</name><bndbox><xmin>${f.x}</xmin><ymin>${f.y}</ymin><xmax>${f.x + side}</xmax><ymax>${f.y + side}</ymax></bndbox></object>`,
      )
      .join('');
    writeFileSync(
      join(voc, 'annotations', 'p1.xml'),
      `<annotation><filename>p1.png</filename><size><width>380</width><height>100</height><depth>3</depth></size>${objects}</annotation>`,
    );
    const base = ['eval', '--model', model, '--data', voc, '--providers', 'cpu'];
    // unknown names stop the run with E_DATA (exit code 5) naming them
    let stderr = '';
    const errSpy = vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
      stderr += chunk.toString();
      return true;
    });
    const refused = await runCli([...base, '--json']);
    errSpy.mockRestore();
    expect(refused.code).toBe(5);
    expect(stderr).toContain("'helmet'");
    expect(stderr).toContain("'MaskOn'");
    // mapped and skipped: every other face is scored, incorrect ones included
    const out = JSON.parse(
      (await runCli([...base, '--json', '--label-map', 'MaskOn=correct', '--skip-unknown-labels'])).stdout,
    );
    expect(out.samples).toBe(5);
    expect(out.perLabel.incorrect.support).toBe(2);
    expect(out.confusion).toEqual([
      [2, 0, 0],
      [0, 2, 0],
      [0, 0, 1],
    ]);
    expect(out.skippedLabels).toEqual({ total: 1, byName: { helmet: 1 } });
    const text = (await runCli([...base, '--label-map', 'MaskOn=correct', '--label-map', 'helmet=no_mask']))
      .stdout;
    expect(text).toMatch(/samples 6 /);
    expect(text).not.toContain('left out for their label name');
    const skippedText = (await runCli([...base, '--label-map', 'MaskOn=correct', '--skip-unknown-labels']))
      .stdout;
    expect(skippedText).toContain('faces left out for their label name: 1 (helmet 1)');
  });

  it('--correct-min decides labels as the agent would, and every run reports the alert trade-off', async () => {
    // Orange: the mean-colour model's logits are 10 x (r, g, b) / 255, so P(correct) is about 0.97 -- the most
    // likely label is correct, but below a 0.99 minimum it becomes incorrect (g > b). Red stays correct.
    const colours: Record<string, [number, number, number]> = { correct: RED, incorrect: [255, 165, 0] };
    const root = join(dir, 'orange');
    for (const [label, [r, g, b]] of Object.entries(colours)) {
      mkdirSync(join(root, label), { recursive: true });
      const png = await sharp({ create: { width: 40, height: 40, channels: 3, background: { r, g, b } } })
        .png()
        .toBuffer();
      writeFileSync(join(root, label, `${label}.png`), png);
    }
    const pCorrect = (rgb: [number, number, number]) => {
      const e = rgb.map((v) => Math.exp((10 * v) / 255));
      return e[0]! / (e[0]! + e[1]! + e[2]!);
    };
    expect(pCorrect([255, 165, 0])).toBeGreaterThan(0.95);
    expect(pCorrect([255, 165, 0])).toBeLessThan(0.99);
    const argmax = JSON.parse((await runCli(['eval', '--model', model, '--data', root, '--json'])).stdout);
    expect(argmax.confusion[1]).toEqual([1, 0, 0]);
    expect(argmax.correctMin).toBeUndefined();
    const strict = JSON.parse(
      (await runCli(['eval', '--model', model, '--data', root, '--json', '--correct-min', '0.99'])).stdout,
    );
    expect(strict.correctMin).toBe(0.99);
    expect(strict.confusion[1]).toEqual([0, 1, 0]);
    expect(strict.confusion[0]).toEqual([1, 0, 0]);
    // the operating points do not depend on --correct-min: the same table either way
    expect(strict.alertOperatingPoints).toEqual(argmax.alertOperatingPoints);
    const at = (t: number | null) =>
      argmax.alertOperatingPoints.find((p: { correctMin: number | null }) => p.correctMin === t);
    expect(at(null)).toEqual({ correctMin: null, alerts: 0, falseAlerts: 0, missedAlerts: 1, accuracy: 0.5 });
    expect(at(0.95)).toEqual({ correctMin: 0.95, alerts: 0, falseAlerts: 0, missedAlerts: 1, accuracy: 0.5 });
    expect(pCorrect(RED)).toBeGreaterThan(0.99);
    const text = (await runCli(['eval', '--model', model, '--data', root, '--correct-min', '0.99'])).stdout;
    expect(text).toMatch(/alert decision by correct minimum/);
  });

  it('bad inputs exit non-zero with coded errors', async () => {
    const stderr = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    expect((await runCli(['eval', '--model', join(dir, 'missing.onnx'), '--data', data])).code).toBe(4);
    const junk = join(dir, 'junk.onnx');
    writeFileSync(junk, 'not a model');
    expect((await runCli(['eval', '--model', junk, '--data', data])).code).toBe(6);
    expect((await runCli(['eval', '--model', model, '--data', join(dir, 'nope')])).code).toBe(4);
    expect((await runCli(['eval', '--model', model])).code).toBe(2);
    expect((await runCli(['eval', '--model', model, '--data', data, '--split', 'test'])).code).toBe(5);
    const messages = stderr.mock.calls.map((c) => String(c[0])).join('');
    stderr.mockRestore();
    expect(messages).toContain(junk);
    expect(messages).toContain('missing.onnx');
  });
});
