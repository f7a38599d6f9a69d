// scripts/seed-comparison.mjs: recipes over several seeds, per source, from the runs' own metrics.json (bySource).
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { computeClassMetrics } from '../../src/core/metrics.js';

const run = promisify(execFile);
const ROOT = join(import.meta.dirname, '..', '..');
const SCRIPT = join(ROOT, 'scripts', 'seed-comparison.mjs');
const LABELS = ['correct', 'incorrect', 'no_mask'] as const;

/** Class metrics where `wrong` of 10 faces per label (label i predicted as i+1) are missed. */
function figures(wrong: [number, number, number]) {
  const truth: number[] = [];
  const pred: number[] = [];
  for (let l = 0; l < 3; l++) {
    for (let i = 0; i < 10; i++) {
      truth.push(l);
      pred.push(i < wrong[l]! ? (l + 1) % 3 : l);
    }
  }
  return computeClassMetrics(truth, pred, LABELS);
}

let dir: string;
/** bal(model, source) per run: no-KD misses 2 incorrect faces everywhere; distilled misses `kdMiss`. */
async function writeRun(name: string, seed: number, kdMiss: number, testIds = [`voc:k/${seed}.jpg#0`]) {
  const sources = (miss: number) => ({
    'kaggle-face-mask': figures([0, miss, 0]),
    'ilc-face-mask': figures([0, miss, 1]),
    'maskedface-net': figures([1, miss, 0]),
  });
  const model = (n: string, miss: number) => ({
    name: n,
    role: 'student',
    ...figures([0, miss, 0]),
    bySource: sources(miss),
    validation: figures([0, miss, 0]),
  });
  await mkdir(join(dir, name), { recursive: true });
  await writeFile(join(dir, name, 'split.json'), JSON.stringify({ train: [], val: [], test: testIds }));
  await writeFile(
    join(dir, name, 'metrics.json'),
    JSON.stringify({
      seed,
      best: { student: 'student-vanilla' },
      totalWallTimeSec: 100,
      models: [model('student-no-kd', 2), model('student-vanilla', kdMiss)],
    }),
  );
}

describe('seed-comparison', () => {
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'seed-comparison-'));
    await writeRun('a1', 1, 0); // distilled finds 2 more incorrect faces of 10: +6.7 points balanced
    await writeRun('a2', 2, 2); // equal
    await writeRun('b1', 1, 1);
    await writeRun('b2', 2, 1, ['voc:k/other.jpg#0']); // another split of the real photos: not paired
    await writeFile(join(dir, 'card.md'), 'before\n<!-- seeds:begin -->\nstale\n<!-- seeds:end -->\nafter\n');
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('pairs runs by seed, gives each difference and the verdict, writes JSON, PNG and only the card block', async () => {
    await run(
      process.execPath,
      [
        SCRIPT,
        '--group',
        `plain=${join(dir, 'a1')},${join(dir, 'a2')}`,
        '--group',
        `synth=${join(dir, 'b1')},${join(dir, 'b2')}`,
        '--json',
        join(dir, 'out.json'),
        '--png',
        join(dir, 'out.png'),
        '--card',
        join(dir, 'card.md'),
      ],
      { cwd: ROOT },
    );
    const card = await readFile(join(dir, 'card.md'), 'utf8');
    expect(card.startsWith('before\n<!-- seeds:begin -->')).toBe(true);
    expect(card.endsWith('<!-- seeds:end -->\nafter\n')).toBe(true);
    expect(card).not.toContain('stale');
    // plain: distilled − no-KD per seed on Kaggle: +6.7 (2 of 30 faces' label recall 0.2 / 3), +0.0; mean +3.3
    expect(card).toMatch(
      /\| Kaggle \| 30, 30 \| [\d.]+ ± [\d.]+ \| [\d.]+ ± [\d.]+ \| \+6\.7, \+0\.0 \| \+3\.3 \|/,
    );
    expect(card).toContain('on both real sources (mean over seeds): **yes**');
    // synth: distilled misses 1 vs no-KD 2: +3.3 on both seeds; still >= 1 point: yes
    const json = JSON.parse(await readFile(join(dir, 'out.json'), 'utf8'));
    const synthKaggle = json.distillation.find(
      (d: { group: string; source: string }) => d.group === 'synth' && d.source === 'kaggle-face-mask',
    );
    expect(synthKaggle.diffs.map((d: number) => Number((100 * d).toFixed(1)))).toEqual([3.3, 3.3]);
    // synth vs plain, distilled student, paired by seed: 1 miss vs 0 → −3.3; 1 vs 2 → +3.3
    const v = json.versus.find(
      (d: { model: string; source: string; key: string }) =>
        d.model === 'student-vanilla' && d.source === 'ilc-face-mask' && d.key === 'balancedAccuracy',
    );
    expect(v.diffs.map((d: number) => Number((100 * d).toFixed(1)))).toEqual([-3.3, 3.3]);
    // seed 2's runs hold other held-out photos: marked, and left out of the mean
    expect(v.sameTestPhotos).toEqual([true, false]);
    expect(Number((100 * v.pairedMean).toFixed(1))).toBe(-3.3);
    expect(card).toContain('| −3.3, +3.3† | −3.3 (paired seeds) |');
    expect(card).toContain('† seed 2: the two runs hold different held-out photos');
    // validation (the figures a recipe choice may use): mean over seeds per group
    expect(card).toContain('| student-no-kd | 93.3 / 93.3 | 93.3 / 93.3 |');
    expect(card).toContain('| student-vanilla | 96.7 / 96.7 | 96.7 / 96.7 |');
    // MaskedFace-Net also gets correct vs incorrect accuracy
    expect(card).toContain('MaskedFace-Net (correct vs incorrect)');
    expect((await sharp(join(dir, 'out.png')).metadata()).format).toBe('png');
  });

  it('refuses groups whose seeds do not pair, and runs without bySource', async () => {
    const bad = run(process.execPath, [
      SCRIPT,
      '--group',
      `plain=${join(dir, 'a1')},${join(dir, 'a2')}`,
      '--group',
      `synth=${join(dir, 'b2')},${join(dir, 'b1')}`,
      '--card',
      join(dir, 'card.md'),
    ]);
    await expect(bad).rejects.toThrow(/not paired/);
    await mkdir(join(dir, 'old'), { recursive: true });
    await writeFile(join(dir, 'old', 'metrics.json'), JSON.stringify({ seed: 1, models: [{ name: 'x' }] }));
    await expect(run(process.execPath, [SCRIPT, '--group', `old=${join(dir, 'old')}`])).rejects.toThrow(
      /no bySource.*--resume/,
    );
  });
});
