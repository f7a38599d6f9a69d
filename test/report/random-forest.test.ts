import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadCrops, readDataset, splitDataset } from '../../src/core/dataset/index.js';
import type { RgbImage } from '../../src/core/image-io.js';
import { labelIndex } from '../../src/core/labels.js';
import { computeClassMetrics } from '../../src/core/metrics.js';
import { sharedDataDir } from '../../src/core/package-paths.js';
import { SeededRandom } from '../../src/core/seeded-random.js';
import { trainRandomForestBaseline } from '../../src/train/baselines/index.js';

/** Three separable "face" classes: vertical stripes, horizontal stripes, a flat reddish patch; all noisy. */
function synthetic(n: number, seed: number): { crops: RgbImage[]; labels: number[] } {
  const rng = new SeededRandom(seed);
  const crops: RgbImage[] = [];
  const labels: number[] = [];
  const size = 32;
  for (let i = 0; i < n; i++) {
    const label = i % 3;
    const period = 4 + rng.int(5);
    const phase = rng.int(period);
    const data = new Uint8Array(size * size * 3);
    for (let y = 0; y < size; y++) {
      for (let x = 0; x < size; x++) {
        const stripe = label === 0 ? (x + phase) % period < period / 2 : (y + phase) % period < period / 2;
        const base = label === 2 ? 140 : stripe ? 200 : 60;
        for (let c = 0; c < 3; c++) {
          const tint = label === 2 && c === 0 ? 60 : 0;
          data[(y * size + x) * 3 + c] = Math.max(0, Math.min(255, base + tint + rng.normal() * 25));
        }
      }
    }
    crops.push({ width: size, height: size, data });
    labels.push(label);
  }
  return { crops, labels };
}

describe('random forest baseline', () => {
  it('separates a synthetic three-class set far above chance', async () => {
    const train = synthetic(240, 1);
    const test = synthetic(90, 2);
    const stages = new Set<string>();
    const model = await trainRandomForestBaseline(train.crops, train.labels, {
      trees: 15,
      samplesPerTree: 120,
      featuresPerTree: 40,
      onProgress: (stage) => stages.add(stage),
    });
    expect(model.trees).toBe(15);
    expect([...stages]).toEqual(['features', 'trees']);
    const pred = await model.predict(test.crops);
    const m = computeClassMetrics(test.labels, pred);
    expect(m.accuracy).toBeGreaterThan(0.9);
    const proba = await model.predictProba(test.crops.slice(0, 3));
    for (const p of proba) expect(p.reduce((a, b) => a + b)).toBeCloseTo(1, 6);
  });

  it('is repeatable with a seed', async () => {
    const train = synthetic(60, 3);
    const opts = { trees: 5, samplesPerTree: 60, featuresPerTree: 20, seed: 7 };
    const a = await trainRandomForestBaseline(train.crops, train.labels, opts);
    const b = await trainRandomForestBaseline(train.crops, train.labels, opts);
    const probe = synthetic(30, 4).crops;
    expect(await a.predictProba(probe)).toEqual(await b.predictProba(probe));
  });

  it('rejects mismatched inputs with E_DATA', async () => {
    const { crops } = synthetic(3, 5);
    await expect(trainRandomForestBaseline(crops, [0, 1])).rejects.toMatchObject({ code: 'E_DATA' });
    await expect(trainRandomForestBaseline(crops, [0, 1, 5])).rejects.toMatchObject({
      code: 'E_DATA',
      detail: { row: 2, value: 5 },
    });
  });
});

const shared = sharedDataDir();
if (!shared) console.warn('[skip] shared data not found: random forest real-data test skipped');

describe.skipIf(!shared)('random forest baseline on real faces', () => {
  it('beats chance clearly on held-out photos (kaggle + maskedface-net)', async () => {
    const { samples } = await readDataset([
      join(shared ?? '', 'kaggle-face-mask'),
      join(shared ?? '', 'maskedface-net'),
    ]);
    const split = splitDataset(samples, { seed: 3 });
    // a class-stratified subset keeps this test short; the full baseline runs in `mask-edge train`
    const rng = new SeededRandom(3);
    const take = (list: typeof samples, perLabel: number) =>
      ['correct', 'incorrect', 'no_mask'].flatMap((l) =>
        rng.shuffle(list.filter((s) => s.label === l)).slice(0, perLabel),
      );
    const train = take(split.train, 150);
    const test = take(split.test, 40);
    const { crops } = await loadCrops([...train, ...test], { size: 64 });
    const pick = (list: typeof samples) => list.filter((s) => crops.has(s.id));
    const model = await trainRandomForestBaseline(
      pick(train).map((s) => crops.get(s.id)!),
      pick(train).map((s) => labelIndex(s.label)),
      { trees: 20, samplesPerTree: 300, featuresPerTree: 60 },
    );
    const truth = pick(test).map((s) => labelIndex(s.label));
    const m = computeClassMetrics(truth, await model.predict(pick(test).map((s) => crops.get(s.id)!)));
    console.info(
      `random forest (subset) balanced accuracy ${m.balancedAccuracy.toFixed(3)} on ${m.samples} faces`,
    );
    // chance is 1/3 for balanced accuracy
    expect(m.balancedAccuracy).toBeGreaterThan(0.5);
  });
});
