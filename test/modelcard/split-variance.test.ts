// scripts/split-variance.mjs: the model card's table of the same recipe on several splits, generated from saved
// `mask-edge eval --json` outputs (the fixtures are real eval outputs of a smoke-run student).
import { execFile } from 'node:child_process';
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const ROOT = join(import.meta.dirname, '..', '..');
const SCRIPT = join(ROOT, 'scripts', 'split-variance.mjs');
const FIXTURES = join(import.meta.dirname, 'fixtures');

interface Metrics {
  samples: number;
  accuracy: number;
  balancedAccuracy: number;
  confusion: number[][];
}

const pct = (v: number) => `${(100 * v).toFixed(1)}%`;
const BEFORE = '# Card\n\nText before.\n\n';
const AFTER = '\n\n## After\n\nmore text\n';

let dir: string;
let results: string;
let card: string;

/** Two runs: the int8 and the fp32 real-face evals stand in for two splits, the same MaskedFace-Net eval. */
const manifest = {
  generatedAt: '2026-11-28T00:00:00.000Z',
  runs: [
    {
      run: 'runs/a',
      seed: 1,
      kept: 'student-a',
      evals: {
        real: { file: 'held-out-real.json', command: 'cmd-a-real' },
        mfn: { file: 'held-out-mfn.json', command: 'cmd-a-mfn' },
      },
    },
    {
      run: 'runs/b',
      seed: 2,
      kept: 'student-ensemble',
      evals: {
        real: { file: 'held-out-real-fp32.json', command: 'cmd-b-real' },
        mfn: { file: 'held-out-mfn.json', command: 'cmd-b-mfn' },
      },
    },
  ],
};

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'split-variance-'));
  results = join(dir, 'splits');
  card = join(dir, 'card.md');
  await mkdir(results);
  await cp(FIXTURES, results, { recursive: true });
  await writeFile(join(results, 'manifest.json'), JSON.stringify(manifest));
  await writeFile(card, `${BEFORE}<!-- splits:begin -->\nstale\n<!-- splits:end -->${AFTER}`);
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function fixture(name: string): Promise<Metrics> {
  return JSON.parse(await readFile(join(FIXTURES, name), 'utf8')) as Metrics;
}

describe('split-variance render', () => {
  it('writes one row per run and their mean from the saved eval JSON, and nothing outside the markers', async () => {
    await run(process.execPath, [SCRIPT, 'render', '--results', results, '--card', card], { cwd: ROOT });
    const text = await readFile(card, 'utf8');
    expect(text.startsWith(`${BEFORE}<!-- splits:begin -->\n`)).toBe(true);
    expect(text.endsWith(`<!-- splits:end -->${AFTER}`)).toBe(true);
    expect(text).not.toContain('stale');

    const a = await fixture('held-out-real.json');
    const b = await fixture('held-out-real-fp32.json');
    const mfn = await fixture('held-out-mfn.json');
    const rows = text.split('\n').filter((l) => l.startsWith('| `runs/') || l.startsWith('| mean'));
    expect(rows).toHaveLength(3);
    const incorrect = (m: Metrics) => `${m.confusion[1]![1]}/${m.confusion[1]!.reduce((s, v) => s + v, 0)}`;
    const alert = (m: Metrics) => {
      const c = m.confusion;
      return (c[0]![0]! + c[1]![1]! + c[1]![2]! + c[2]![1]! + c[2]![2]!) / m.samples;
    };
    const right = mfn.confusion[0]![0]! + mfn.confusion[1]![1]!;
    const total = [0, 1].reduce((s, r) => s + mfn.confusion[r]!.reduce((x, v) => x + v, 0), 0);
    expect(rows[0]).toBe(
      `| \`runs/a\` | 1 | student-a | ${a.samples} | ${pct(a.accuracy)} | ${pct(a.balancedAccuracy)} | ${incorrect(a)} | ${pct(alert(a))} | ${pct(right / total)} (${right}/${total}) |`,
    );
    expect(rows[1]).toContain(`| \`runs/b\` | 2 | student-ensemble | ${b.samples} | ${pct(b.accuracy)} |`);
    expect(rows[2]).toContain(
      `| ${pct((a.accuracy + b.accuracy) / 2)} | ${pct((a.balancedAccuracy + b.balancedAccuracy) / 2)} |`,
    );
    // the smoke student misses every goal on both splits
    expect(text).toContain('accuracy ≥ 95% on 0 of 2 splits');
    for (const c of ['cmd-a-real', 'cmd-a-mfn', 'cmd-b-real', 'cmd-b-mfn'])
      expect(text).toContain(`\n${c}\n`);
  });

  it('a run measured without MaskedFace-Net (--mfn none) shows n/a there, and the mean uses the others', async () => {
    const partial = structuredClone(manifest) as { runs: { evals: Record<string, unknown> }[] };
    delete partial.runs[1]!.evals.mfn;
    await writeFile(join(results, 'manifest.json'), JSON.stringify(partial));
    await run(process.execPath, [SCRIPT, 'render', '--results', results, '--card', card], { cwd: ROOT });
    const text = await readFile(card, 'utf8');
    const mfn = await fixture('held-out-mfn.json');
    const right = mfn.confusion[0]![0]! + mfn.confusion[1]![1]!;
    const total = [0, 1].reduce((s, r) => s + mfn.confusion[r]!.reduce((x, v) => x + v, 0), 0);
    const lines = text.split('\n');
    expect(lines.find((l) => l.startsWith('| `runs/b`'))!.endsWith('| n/a |')).toBe(true);
    expect(lines.find((l) => l.startsWith('| mean'))!.endsWith(`| ${pct(right / total)} |`)).toBe(true);
    expect(text).not.toContain('cmd-b-mfn');
  });

  it('refuses a card without the markers, and leaves it as it was', async () => {
    await writeFile(card, '# no block\n');
    const err = await run(process.execPath, [SCRIPT, 'render', '--results', results, '--card', card], {
      cwd: ROOT,
    }).catch((e: { code: number; stderr: string }) => e);
    expect(err).toMatchObject({ code: 1 });
    expect((err as { stderr: string }).stderr).toContain('has no <!-- splits:begin -->');
    expect(await readFile(card, 'utf8')).toBe('# no block\n');
  });

  it('measure names the missing INT8 export and the command that writes it', async () => {
    const runDir = join(dir, 'run-without-export');
    await mkdir(runDir);
    const err = await run(
      process.execPath,
      [SCRIPT, 'measure', '--runs', runDir, '--results', results, '--card', card],
      {
        cwd: ROOT,
      },
    ).catch((e: { code: number; stderr: string }) => e);
    expect(err).toMatchObject({ code: 1 });
    expect((err as { stderr: string }).stderr).toContain(
      `${runDir}/export/mask-classifier.int8.onnx missing`,
    );
    expect((err as { stderr: string }).stderr).toContain(`mask-edge export --model ${runDir}`);
  });
});
