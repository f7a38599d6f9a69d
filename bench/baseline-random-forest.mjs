#!/usr/bin/env node
// Random-forest baseline (HOG + colour thumbnail, ml-random-forest) on the shared data: accuracy on the
// held-out test split (whole photos per split, seed 1) and CPU time to train.
//
//   npx tsc -p tsconfig.build.json && node bench/baseline-random-forest.mjs
//       [--data ../shared/data/kaggle-face-mask --data ../shared/data/maskedface-net] [--trees 60] [--seed 1]
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dist = (p) => join(root, 'dist', p);
const shared = join(root, '..', 'shared', 'data');
const { values: args } = parseArgs({
  options: {
    data: {
      type: 'string',
      multiple: true,
      default: [join(shared, 'kaggle-face-mask'), join(shared, 'maskedface-net')],
    },
    trees: { type: 'string', default: '60' },
    seed: { type: 'string', default: '1' },
    size: { type: 'string', default: '64' },
  },
});
const { readDataset, splitDataset, loadCrops } = await import(dist('core/dataset/index.js'));
const { computeClassMetrics } = await import(dist('core/metrics.js'));
const { labelIndex } = await import(dist('core/labels.js'));
const { extractBaselineFeatureMatrix, RandomForestBaseline } = await import(dist('train/baselines/index.js'));

const seed = Number(args.seed);
const { samples } = await readDataset(args.data);
const split = splitDataset(samples, { seed });
const { crops } = await loadCrops([...split.train, ...split.test], { size: Number(args.size) });
const usable = (list) => list.filter((s) => crops.has(s.id));
const train = usable(split.train);
const test = usable(split.test);
const cpu0 = process.cpuUsage();
const t0 = Date.now();
const trainX = await extractBaselineFeatureMatrix(train.map((s) => crops.get(s.id)));
const model = RandomForestBaseline.trainOnFeatures(
  trainX,
  train.map((s) => labelIndex(s.label)),
  { trees: Number(args.trees), seed },
);
const cpu = process.cpuUsage(cpu0);
const wall = (Date.now() - t0) / 1000;
const pred = model.predictFeatures(await extractBaselineFeatureMatrix(test.map((s) => crops.get(s.id))));
const m = computeClassMetrics(
  test.map((s) => labelIndex(s.label)),
  pred,
);
console.log(
  JSON.stringify(
    {
      data: args.data,
      train: train.length,
      test: test.length,
      features: trainX[0].length,
      trees: model.trees,
      trainCpuSec: Math.round((cpu.user + cpu.system) / 1e5) / 10,
      trainWallSec: Math.round(wall * 10) / 10,
      accuracy: Number(m.accuracy.toFixed(4)),
      balancedAccuracy: Number(m.balancedAccuracy.toFixed(4)),
      perLabel: m.perLabel,
      confusion: m.confusion,
    },
    null,
    1,
  ),
);
