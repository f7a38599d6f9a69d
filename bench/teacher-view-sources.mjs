// Per-source test accuracy and balanced accuracy of every model of a `mask-edge train` run, from the run's own
// test-split logits (checkpoint/phases/*.json) and split.json. Usage: node bench/teacher-view-sources.mjs RUN...
import { readdir, readFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { parseLabelMap, readDataset } from '../dist/core/dataset/index.js';
import { LABELS } from '../dist/core/labels.js';

for (const run of process.argv.slice(2)) {
  const runJson = JSON.parse(await readFile(join(run, 'run.json'), 'utf8'));
  const split = JSON.parse(await readFile(join(run, 'split.json'), 'utf8'));
  const { samples } = await readDataset(runJson.data, {
    labelMap: parseLabelMap(runJson.options?.labelMap),
    skipUnknownLabels: runJson.options?.skipUnknownLabels === true,
  });
  const byId = new Map(samples.map((s) => [s.id, s]));
  const phases = join(run, 'checkpoint', 'phases');
  for (const f of (await readdir(phases)).filter((f) => f.endsWith('.json'))) {
    const outcome = JSON.parse(await readFile(join(phases, f), 'utf8'));
    const logits = outcome.logits.test;
    const bySource = new Map();
    split.test.forEach((id, i) => {
      const s = byId.get(id);
      const row = logits.slice(i * 3, i * 3 + 3);
      const pred = row.indexOf(Math.max(...row));
      const truth = LABELS.indexOf(s.label);
      const key = basename(s.source);
      const m = bySource.get(key) ?? { n: 0, right: 0, perLabel: LABELS.map(() => [0, 0]) };
      m.n++;
      if (pred === truth) m.right++;
      m.perLabel[truth][0]++;
      if (pred === truth) m.perLabel[truth][1]++;
      bySource.set(key, m);
    });
    const cells = [...bySource].map(([k, m]) => {
      const recalls = m.perLabel.filter(([n]) => n > 0).map(([n, r]) => r / n);
      const bal = recalls.reduce((a, b) => a + b, 0) / recalls.length;
      const inc = m.perLabel[1][0] ? `${m.perLabel[1][1]}/${m.perLabel[1][0]}` : '-';
      return `${k}: ${((100 * m.right) / m.n).toFixed(1)}% / ${(100 * bal).toFixed(1)}% (n ${m.n}, incorrect ${inc})`;
    });
    console.log(`${basename(run)} ${outcome.name}: ${cells.join('; ')}`);
  }
}
