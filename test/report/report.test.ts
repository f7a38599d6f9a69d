import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { computeClassMetrics } from '../../src/core/metrics.js';
import {
  type MetricsFile,
  type ModelMetrics,
  parseMetricsFile,
  readMetricsFile,
  writeMetricsFile,
  writeReport,
} from '../../src/train/report/index.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mask-edge-report-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function sampleMetrics(): MetricsFile {
  const truth = [0, 0, 0, 0, 1, 1, 2, 2, 2, 2];
  const history = [1, 2, 3].map((epoch) => ({
    epoch,
    trainLoss: 1 / epoch,
    valLoss: 1.2 / epoch,
    trainAccuracy: 0.6 + epoch / 10,
    valAccuracy: 0.55 + epoch / 10,
  }));
  const models: ModelMetrics[] = [
    {
      name: 'teacher-a',
      role: 'teacher',
      ...computeClassMetrics(truth, [0, 0, 0, 0, 1, 0, 2, 2, 2, 2]),
      parameters: 1_000_000,
      backend: 'wasm',
      wallTimeSec: 120,
      imagesPerSec: 40,
      history,
    },
    {
      name: 'student',
      role: 'student',
      ...computeClassMetrics(truth, [0, 0, 0, 1, 1, 0, 2, 2, 2, 0]),
      parameters: 90_000,
      backend: 'wasm',
      wallTimeSec: 60,
      imagesPerSec: 500,
      teacher: 'teacher-a',
      kd: ['vanilla'],
      history,
    },
    {
      name: 'random forest',
      role: 'baseline',
      ...computeClassMetrics(truth, [0, 0, 2, 0, 0, 0, 2, 2, 0, 2]),
      backend: 'ml-random-forest',
      wallTimeSec: 10,
      history: [],
    },
  ];
  return {
    version: 1,
    createdAt: '2026-11-28T12:00:00Z',
    labels: ['correct', 'incorrect', 'no_mask'],
    splitCounts: { train: 80, val: 10, test: 10 },
    best: { teacher: 'teacher-a', student: 'student' },
    models,
    notes: ['a <note> with markup'],
  };
}

describe('writeReport', () => {
  it('writes the comparison, confusion and curve PNGs and a self-contained report.html', async () => {
    const metrics = sampleMetrics();
    const result = await writeReport(dir, metrics);
    const names = result.pngs.map((p) => p.slice(dir.length + 1)).sort();
    expect(names).toEqual([
      'comparison.png',
      'confusion-random_forest.png',
      'confusion-student.png',
      'confusion-teacher-a.png',
      'curves-student.png',
      'curves-teacher-a.png',
    ]);
    for (const p of result.pngs) {
      const meta = await sharp(p).metadata();
      expect(meta.format).toBe('png');
      expect(meta.width).toBeGreaterThan(300);
    }
    // curves: loss and accuracy panels side by side
    const curves = await sharp(join(dir, 'curves-student.png')).metadata();
    expect(curves.width! / curves.height!).toBeGreaterThan(2);

    const html = await readFile(result.html, 'utf8');
    expect(html.startsWith('<!doctype html>')).toBe(true);
    // every picture embedded, nothing fetched from elsewhere
    expect(html.match(/<img src="data:image\/png;base64,/g)?.length).toBe(6);
    expect(html).not.toMatch(/src="(?!data:)/);
    expect(html).not.toMatch(/href="http/);
    // table rows carry the computed figures: student accuracy 7/10, student is 9% of the teacher
    expect(html).toContain('random forest');
    expect(html).toContain('70.0%');
    expect(html).toContain('9.0% of teacher');
    expect(html).toContain('KD: vanilla');
    expect(html).toContain('a &lt;note&gt; with markup');
  });

  it('refuses an empty model list', async () => {
    await expect(writeReport(dir, { ...sampleMetrics(), models: [] })).rejects.toMatchObject({
      code: 'E_DATA',
    });
  });
});

describe('metrics.json', () => {
  it('round-trips through write/read and keeps unknown extra fields', async () => {
    const path = join(dir, 'metrics.json');
    const metrics = { ...sampleMetrics(), futureField: 42 } as MetricsFile;
    await writeMetricsFile(path, metrics);
    const back = await readMetricsFile(path);
    expect(back.models.map((m) => m.name)).toEqual(['teacher-a', 'student', 'random forest']);
    expect(back.models[1]?.confusion).toEqual(metrics.models[1]?.confusion);
    expect((back as unknown as { futureField: number }).futureField).toBe(42);
  });

  it('lists every problem with its path', () => {
    const bad = sampleMetrics() as unknown as { models: Record<string, unknown>[] };
    bad.models[0]!.role = 'mentor';
    bad.models[1]!.accuracy = 'high';
    try {
      parseMetricsFile(bad, 'RUN/metrics.json');
      expect.unreachable();
    } catch (err) {
      const e = err as { code: string; detail: { path: string; issues: { path: string }[] } };
      expect(e.code).toBe('E_DATA');
      expect(e.detail.path).toBe('RUN/metrics.json');
      expect(e.detail.issues.map((i) => i.path).sort()).toEqual(['models.0.role', 'models.1.accuracy']);
    }
  });

  it('rejects duplicate model names, bad JSON and a missing file', async () => {
    const dup = sampleMetrics();
    dup.models.push({ ...dup.models[0]! });
    expect(() => parseMetricsFile(dup)).toThrow(/twice/);
    const path = join(dir, 'broken.json');
    await writeFile(path, '{ not json');
    await expect(readMetricsFile(path)).rejects.toMatchObject({ code: 'E_DATA', detail: { path } });
    await expect(readMetricsFile(join(dir, 'absent.json'))).rejects.toMatchObject({ code: 'E_NOT_FOUND' });
  });
});
