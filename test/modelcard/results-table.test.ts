// scripts/results-table.mjs render: the README results block is generated from saved `mask-edge eval --json`
// outputs (issue 5). The fixtures are real eval outputs of a smoke-run student (bad numbers, so goals read "no").
import { execFile } from 'node:child_process';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const ROOT = join(import.meta.dirname, '..', '..');
const SCRIPT = join(ROOT, 'scripts', 'results-table.mjs');
const FIXTURES = join(import.meta.dirname, 'fixtures');

interface Metrics {
  samples: number;
  accuracy: number;
  balancedAccuracy: number;
  labels: string[];
  confusion: number[][];
  perLabel: Record<string, { precision: number; recall: number; support: number }>;
}

const pct = (v: number) => `${(100 * v).toFixed(1)}%`;
const BEFORE = '# Project\n\nIntro with <!-- a comment --> and trailing spaces   \n\n';
const AFTER = '\n\n## Development\n\nnpm test\n';
const README = `${BEFORE}<!-- results:begin -->\nstale table\n<!-- results:end -->${AFTER}`;

let dir: string;
let results: string;
let readme: string;
let card: string;

async function render(extra: string[] = []): Promise<{ stdout: string; stderr: string }> {
  return run(
    process.execPath,
    [SCRIPT, 'render', '--results', results, '--readme', readme, '--card', card, ...extra],
    { cwd: ROOT },
  );
}

async function fixture<T>(name: string): Promise<T> {
  return JSON.parse(await readFile(join(results, name), 'utf8')) as T;
}

function block(text: string): string {
  const b = text.indexOf('<!-- results:begin -->');
  const e = text.indexOf('<!-- results:end -->');
  return text.slice(b, e);
}

/** The table row whose first cell is `what` (or starts with it, for long names). */
function row(text: string, what: string): string {
  const lines = text.split('\n');
  const line = lines.find((l) => l.startsWith(`| ${what} |`)) ?? lines.find((l) => l.startsWith(`| ${what}`));
  if (!line) throw new Error(`no row '${what}' in:\n${text}`);
  return line;
}

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'results-table-'));
  results = join(dir, 'results');
  readme = join(dir, 'README.md');
  card = join(dir, 'card.md');
  await cp(FIXTURES, results, { recursive: true });
  await writeFile(readme, README);
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('results-table render', () => {
  it('writes the figures of the saved eval JSON into the block and leaves the rest of the README alone', async () => {
    await render();
    const text = await readFile(readme, 'utf8');
    expect(text.startsWith(`${BEFORE}<!-- results:begin -->\n`)).toBe(true);
    expect(text.endsWith(`<!-- results:end -->${AFTER}`)).toBe(true);
    expect(text.split('<!-- results:begin -->')).toHaveLength(2);
    expect(text.split('<!-- results:end -->')).toHaveLength(2);
    const b = block(text);
    expect(b).not.toContain('stale table');

    const real = await fixture<Metrics>('held-out-real.json');
    expect(row(b, '3-label accuracy')).toContain(`| ${pct(real.accuracy)} |`);
    expect(row(b, '3-label accuracy')).toContain(`${real.samples} faces`);
    expect(row(b, 'balanced accuracy')).toContain(`| ${pct(real.balancedAccuracy)} |`);
    for (const label of real.labels) {
      const p = real.perLabel[label]!;
      expect(row(b, label)).toBe(`| ${label} | ${pct(p.precision)} | ${pct(p.recall)} | ${p.support} |`);
    }
    // The smoke student misses every classifier goal: the table says so, and how many.
    expect(row(b, '3-label accuracy').endsWith('| **no** |')).toBe(true);
    const unmet = b.split('\n').filter((l) => l.startsWith('|') && l.endsWith('| **no** |')).length;
    expect(unmet).toBeGreaterThan(0);
    expect(b).toContain(`**${unmet} goals are not reached**`);

    const fp32 = await fixture<Metrics>('held-out-real-fp32.json');
    expect(row(b, 'int8 vs fp32')).toContain(`${pct(real.accuracy)} vs ${pct(fp32.accuracy)}`);

    // MaskedFace-Net: correct vs incorrect, a no_mask prediction counted as wrong (computed here independently).
    const mfn = await fixture<Metrics>('held-out-mfn.json');
    const right = mfn.confusion[0]![0]! + mfn.confusion[1]![1]!;
    const total = [0, 1].reduce((s, r) => s + mfn.confusion[r]!.reduce((a, c) => a + c, 0), 0);
    expect(row(b, 'correct vs incorrect')).toContain(`${pct(right / total)} (${right}/${total})`);
    // the alert decision: correct = no alert, incorrect and no_mask both alert (so incorrect -> no_mask is right)
    const alertRight = mfn.confusion[0]![0]! + mfn.confusion[1]![1]! + mfn.confusion[1]![2]!;
    const mfnFalseAlerts = mfn.confusion[0]![1]! + mfn.confusion[0]![2]!;
    expect(row(b, 'correct vs incorrect as the alert decision (no_mask also alerts)')).toContain(
      `${pct(alertRight / total)} (${alertRight}/${total}; ${mfnFalseAlerts} false alert${mfnFalseAlerts === 1 ? '' : 's'}, ${mfn.confusion[1]![0]!} missed)`,
    );
    // ILC: its own held-out rows beside Kaggle, against issue 10's goals (≥ 92% accuracy, ≥ 90% balanced).
    const ilc = await fixture<Metrics>('held-out-ilc.json');
    expect(row(b, '3-label accuracy (ILC)')).toContain(`ILC test split, ${ilc.samples} faces`);
    expect(row(b, '3-label accuracy (ILC)')).toContain(`| ${pct(ilc.accuracy)} | ≥ 92% | **no** |`);
    expect(row(b, 'balanced accuracy (ILC)')).toContain(`| ${pct(ilc.balancedAccuracy)} | ≥ 90% | **no** |`);
    const ilcInc = ilc.perLabel.incorrect!;
    expect(row(b, '`incorrect` recall / precision (ILC)')).toContain(
      `${pct(ilcInc.recall)} (${ilc.confusion[1]![1]!}/${ilcInc.support}) / ${pct(ilcInc.precision)}`,
    );
    for (const label of ilc.labels) {
      const p = ilc.perLabel[label]!;
      expect(row(b, `${label} (ILC)`)).toBe(
        `| ${label} (ILC) | ${pct(p.precision)} | ${pct(p.recall)} | ${p.support} |`,
      );
    }
    // the Kaggle rows keep their own figures (the ILC rows do not shadow them)
    expect(row(b, '3-label accuracy')).toContain('Kaggle test split');
    // MaskedFace-Net's goal is issue 10's 98%
    expect(row(b, 'correct vs incorrect')).toContain('| ≥ 98% |');

    const c = real.confusion;
    const realMissed = c[1]![0]! + c[2]![0]!;
    const realFalse = c[0]![1]! + c[0]![2]!;
    const realRight = c.flat().reduce((a, v) => a + v, 0) - realMissed - realFalse;
    expect(row(b, 'alert decision (correct = no alert; incorrect or no_mask = alert)')).toContain(
      `${pct(realRight / real.samples)} (${realFalse} false alert${realFalse === 1 ? '' : 's'}, ${realMissed} missed)`,
    );

    const pipe = await fixture<{
      recall: number;
      detected: number;
      faces: number;
      mAP50: number;
      recallByLabel: Record<string, { faces: number; detected: number }>;
      recallBySize: Record<string, { faces: number; detected: number; recall: number }>;
    }>('pipeline-24px.json');
    expect(row(b, 'detection recall, faces ≥ 24 px')).toContain(
      `${pct(pipe.recall)} (${pipe.detected}/${pipe.faces}) | ≥ 85% | yes |`,
    );
    const masked = ['correct', 'incorrect'].map((l) => pipe.recallByLabel[l]!);
    const mFaces = masked[0]!.faces + masked[1]!.faces;
    const mDet = masked[0]!.detected + masked[1]!.detected;
    expect(row(b, 'detection recall: masked')).toContain(`${pct(mDet / mFaces)} (${mDet}/${mFaces})`);
    expect(row(b, 'mAP@0.5')).toContain(pct(pipe.mAP50));
    for (const [size, s] of Object.entries(pipe.recallBySize)) {
      expect(row(b, size)).toBe(`| ${size} | ${s.faces} | ${s.detected} | ${pct(s.recall)} |`);
    }

    const runMetrics = await fixture<{
      teacher: Metrics;
      student: Metrics;
      models: (Metrics & { name: string; role: string })[];
    }>('run-metrics.json');
    for (const m of runMetrics.models) {
      expect(row(b, m.name)).toContain(`| ${m.role} |`);
      expect(row(b, m.name)).toContain(`| ${pct(m.accuracy)} | ${pct(m.balancedAccuracy)} |`);
    }
    expect(row(b, 'student vs its teacher')).toContain(
      `${pct(runMetrics.student.accuracy)} vs ${pct(runMetrics.teacher.accuracy)}`,
    );

    // Speed rows straight from the saved `mask-edge bench --json`; sizes from the manifest.
    const bench = await fixture<{
      results: { model: string; precision: string; batch: number; imagesPerSec: number; p50Ms: number }[];
    }>('bench.json');
    for (const r of bench.results) {
      expect(b).toContain(
        `| ${r.model} | ${r.precision} | cpu | 1 | ${r.batch} | ${r.imagesPerSec.toFixed(1)} | ${r.p50Ms.toFixed(2)} |`,
      );
    }
    expect(b).toContain('`models/mask-classifier.int8.onnx` 108.6 KiB');

    // The commands that produced each file stand beside the table.
    const manifest = await fixture<{ entries: { command: string; file: string }[] }>('manifest.json');
    for (const e of manifest.entries) expect(b).toContain(`${e.command} > docs/results/${e.file}`);
  });

  it('follows the numbers: a changed eval result changes the table and the verdict', async () => {
    const real = await fixture<Metrics>('held-out-real.json');
    await writeFile(
      join(results, 'held-out-real.json'),
      JSON.stringify({ ...real, accuracy: 0.96741, balancedAccuracy: 0.91234 }),
    );
    await render();
    const b = block(await readFile(readme, 'utf8'));
    expect(row(b, '3-label accuracy')).toContain('| 96.7% | ≥ 95% | yes |');
    expect(row(b, 'balanced accuracy')).toContain('| 91.2% | ≥ 90% | yes |');
    const unmet = b.split('\n').filter((l) => l.startsWith('|') && l.endsWith('| **no** |')).length;
    expect(b).toContain(`**${unmet} goal${unmet > 1 ? 's are' : ' is'} not reached**`);
  });

  it('adds ILC detection rows when the manifest lists an ilc-pipeline result, and ILC verdicts follow the numbers', async () => {
    const manifest = await fixture<{ entries: { key: string; file: string; command: string }[] }>(
      'manifest.json',
    );
    const pipe = await fixture<{ recall: number; detected: number; faces: number; precision: number }>(
      'pipeline-24px.json',
    );
    await writeFile(
      join(results, 'pipeline-24px-ilc.json'),
      JSON.stringify({ ...pipe, recall: 0.8, detected: 40, faces: 50 }),
    );
    manifest.entries.push({
      key: 'ilc-pipeline',
      file: 'pipeline-24px-ilc.json',
      command: 'npx mask-edge eval --pipeline --data ../shared/data/ilc-face-mask --json',
    });
    await writeFile(join(results, 'manifest.json'), JSON.stringify(manifest));
    const ilc = await fixture<Metrics>('held-out-ilc.json');
    await writeFile(
      join(results, 'held-out-ilc.json'),
      JSON.stringify({ ...ilc, accuracy: 0.925, balancedAccuracy: 0.899 }),
    );
    await render();
    const b = block(await readFile(readme, 'utf8'));
    expect(row(b, 'detection recall, faces ≥ 24 px (ILC)')).toContain('| 80.0% (40/50) | ≥ 85% | **no** |');
    expect(row(b, 'detection precision (ILC)')).toContain(pct(pipe.precision));
    expect(row(b, '3-label accuracy (ILC)')).toContain('| 92.5% | ≥ 92% | yes |');
    expect(row(b, 'balanced accuracy (ILC)')).toContain('| 89.9% | ≥ 90% | **no** |');
    expect(b).toContain(
      'npx mask-edge eval --pipeline --data ../shared/data/ilc-face-mask --json > docs/results/pipeline-24px-ilc.json',
    );
  });

  it('adds the accuracy-by-face-size table only when the eval output has one (faces with boxes)', async () => {
    await render();
    let b = block(await readFile(readme, 'utf8'));
    expect(b).not.toContain('Classifier accuracy by face size');
    const real = await fixture<Metrics>('held-out-real.json');
    const accuracyBySize = {
      '<16': { faces: 7, right: 5, accuracy: 5 / 7 },
      '48-96': { faces: 3, right: 3, accuracy: 1 },
    };
    await writeFile(join(results, 'held-out-real.json'), JSON.stringify({ ...real, accuracyBySize }));
    await render();
    b = block(await readFile(readme, 'utf8'));
    expect(b).toContain('Classifier accuracy by face size');
    expect(row(b, '<16')).toBe(`| <16 | 7 | 5 | ${pct(5 / 7)} |`);
    expect(row(b, '48-96')).toBe('| 48-96 | 3 | 3 | 100.0% |');
  });

  it('adds the alert operating points when the eval output has them', async () => {
    await render();
    expect(block(await readFile(readme, 'utf8'))).not.toContain('`correctMinProbability` |');
    const real = await fixture<Metrics>('held-out-real.json');
    const alertOperatingPoints = [
      { correctMin: null, alerts: 10, falseAlerts: 2, missedAlerts: 3, accuracy: 0.9 },
      { correctMin: 0.8, alerts: 14, falseAlerts: 5, missedAlerts: 1, accuracy: 0.88 },
    ];
    await writeFile(join(results, 'held-out-real.json'), JSON.stringify({ ...real, alertOperatingPoints }));
    await render();
    const b = block(await readFile(readme, 'utf8'));
    expect(row(b, 'unset (most likely label; default)')).toBe(
      '| unset (most likely label; default) | 10 | 2 | 3 | 90.0% |',
    );
    expect(row(b, '0.8')).toBe('| 0.8 | 14 | 5 | 1 | 88.0% |');
  });

  it('compares the distilled student with the teacher when a no-teacher student is the kept one', async () => {
    const rm0 = await fixture<{ teacher: Metrics; student: Metrics & { name: string } }>('run-metrics.json');
    const kept = { ...rm0.student, name: 'student-no-kd', role: 'baseline', accuracy: 0.5 };
    const distilled = { ...rm0.student, name: 'student-vanilla', accuracy: 0.88 };
    await writeFile(join(results, 'run-metrics.json'), JSON.stringify({ ...rm0, student: kept, distilled }));
    await render();
    const line = row(
      block(await readFile(readme, 'utf8')),
      'distilled student (student-vanilla, not the kept one) vs its teacher',
    );
    expect(line).toContain(`${pct(0.88)} vs ${pct(rm0.teacher.accuracy)}`);
    expect(line).not.toContain(pct(0.5));
  });

  it('puts the same block in the model card, with links relative to models/', async () => {
    const CARD = '# Model card\n\n<!-- results:begin -->\n<!-- results:end -->\n\n## Licences\n';
    await writeFile(card, CARD);
    await render();
    const readmeBlock = block(await readFile(readme, 'utf8'));
    const cardText = await readFile(card, 'utf8');
    expect(cardText.startsWith('# Model card\n\n<!-- results:begin -->')).toBe(true);
    expect(cardText.endsWith('<!-- results:end -->\n\n## Licences\n')).toBe(true);
    const cardBlock = block(cardText);
    expect(readmeBlock).toContain('](docs/results/confusion-int8-real.png)');
    expect(cardBlock).toContain('](../docs/results/confusion-int8-real.png)');
    expect(cardBlock).not.toContain('](docs/');
    const real = await fixture<Metrics>('held-out-real.json');
    expect(row(cardBlock, '3-label accuracy')).toContain(`| ${pct(real.accuracy)} |`);
  });

  it('is idempotent: a second render changes nothing', async () => {
    await render();
    const first = await readFile(readme, 'utf8');
    const { stderr } = await render();
    expect(await readFile(readme, 'utf8')).toBe(first);
    expect(stderr).toContain('already up to date');
  });

  it('refuses a README without the markers and leaves it untouched', async () => {
    await writeFile(readme, '# Project\n\nno block here\n');
    const err = await render().then(
      () => undefined,
      (e: { code: number; stderr: string }) => e,
    );
    expect(err?.code).toBe(1);
    expect(err?.stderr).toContain('<!-- results:begin -->');
    expect(await readFile(readme, 'utf8')).toBe('# Project\n\nno block here\n');
  });

  it('names a result file the manifest lists but that is missing', async () => {
    await rm(join(results, 'held-out-mfn.json'));
    const err = await render().then(
      () => undefined,
      (e: { code: number; stderr: string }) => e,
    );
    expect(err?.code).toBe(1);
    expect(err?.stderr).toContain('held-out-mfn.json');
    expect(await readFile(readme, 'utf8')).toBe(README);
  });
});
