import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LABELS } from '../../src/core/labels.js';
import { SeededRandom } from '../../src/core/seeded-random.js';
import { loadModel, saveModel } from '../../src/train/io/file-io-handler.js';
import { buildCnn, countParameters } from '../../src/train/models/cnn.js';
import { pickStudent, run } from '../../src/train/train-command.js';

let root: string;

/** A tiny ImageFolder: one folder per label, 64 px "faces" whose lower part differs by label. */
async function makeDataset(dir: string): Promise<void> {
  const rng = new SeededRandom(3);
  for (const [li, label] of LABELS.entries()) {
    await mkdir(join(dir, label), { recursive: true });
    for (let i = 0; i < 20; i++) {
      const data = Buffer.alloc(64 * 64 * 3);
      for (let y = 0; y < 64; y++) {
        for (let x = 0; x < 64; x++) {
          const covered = (li === 0 && y > 30) || (li === 1 && y > 44);
          for (let c = 0; c < 3; c++) data[(y * 64 + x) * 3 + c] = covered ? 230 : 90 + 50 * c + rng.int(40);
        }
      }
      await sharp(data, { raw: { width: 64, height: 64, channels: 3 } })
        .jpeg()
        .toFile(join(dir, label, `${label}-${i}.jpg`));
    }
  }
}

/** Options of a seconds-long run on the tiny dataset (one landmark-tiny teacher, one vanilla round, no baselines). */
function tinyRun() {
  return {
    data: [join(root, 'data')],
    teacher: ['landmark-tiny'],
    kd: ['vanilla'],
    size: 24,
    epochs: 1,
    teacherEpochs: 1,
    batchSize: 8,
    width: 4,
    blocks: 2,
    baselines: false,
    cacheDir: join(root, 'cache'),
  };
}

describe('mask-edge train (end to end, real tfjs wasm + face-api weights)', () => {
  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'mask-edge-train-cmd-'));
    await makeDataset(join(root, 'data'));
  });
  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('writes the run directory of CONTRACTS §3 and resumes without retraining', async () => {
    const out = join(root, 'run');
    const userDir = join(root, 'user-teacher');
    await saveModel(buildCnn({ inputSize: 32, width: 4, blocks: 2, seed: 8, name: 'mine' }), userDir);
    const opts = {
      ...tinyRun(),
      teacherWeights: join(userDir, 'model.json'),
      out,
      seed: 2,
    };
    const metrics = await run(opts);
    for (const f of [
      'run.json',
      'split.json',
      'metrics.json',
      'report.html',
      'student/model.json',
      'student/weights.bin',
      'teacher/model.json',
      'teacher/teacher.json',
    ]) {
      expect(existsSync(join(out, f)), f).toBe(true);
    }
    const runJson = JSON.parse(await readFile(join(out, 'run.json'), 'utf8'));
    expect(runJson).toMatchObject({
      inputSize: 24,
      layout: 'NHWC',
      colorOrder: 'RGB',
      labels: [...LABELS],
      backend: 'wasm',
    });
    expect(runJson.backendFailures.map((f: { name: string }) => f.name)).toEqual([
      'tfjs-node-gpu',
      'webgpu', // no GPU adapter on these machines
      'tfjs-node',
    ]);
    const student = JSON.parse(await readFile(join(out, 'student', 'model.json'), 'utf8'));
    expect(student.format).toBe('layers-model');
    expect(student.weightsManifest[0].paths).toEqual(['weights.bin']);
    const split = JSON.parse(await readFile(join(out, 'split.json'), 'utf8'));
    expect(split.train.length + split.val.length + split.test.length).toBe(60);
    expect(metrics.models.map((m) => m.name)).toEqual([
      'teacher-landmark-tiny',
      'teacher-user',
      'student-vanilla',
    ]);
    expect(metrics.models[1]).toMatchObject({
      role: 'teacher',
      parameters: countParameters(await loadModel(userDir)),
    });
    expect(metrics.models[2]).toMatchObject({
      role: 'student',
      backend: 'wasm',
      teacher: metrics.best?.teacher,
      kd: ['vanilla'],
    });
    expect(metrics.best).toMatchObject({ student: 'student-vanilla', distilledStudent: 'student-vanilla' });
    expect(metrics.models[2]!.confusion.flat().reduce((a, b) => a + b, 0)).toBe(split.test.length);

    const again = await run({ out, data: [join(root, 'data')], resume: true });
    expect(again.models.map((m) => m.accuracy)).toEqual(metrics.models.map((m) => m.accuracy));
  }, 300_000);

  it('adds the student ensemble (one flat model averaging every student CNN) as a candidate; --no-ensemble skips it', async () => {
    const base = { ...tinyRun(), kd: ['vanilla', 'self-training'], seed: 4 };
    const out = join(root, 'run-ensemble');
    const metrics = await run({ ...base, out });
    expect(metrics.models.map((m) => m.name)).toEqual([
      'teacher-landmark-tiny',
      'student-vanilla',
      'student-vanilla-self-training',
      'student-ensemble',
    ]);
    const [, a, b, ens] = metrics.models;
    expect(ens).toMatchObject({ role: 'student' });
    expect(ens!.parameters).toBe(a!.parameters! + b!.parameters!);
    const phaseDir = join(out, 'checkpoint', 'phases');
    const merged = await loadModel(join(phaseDir, 'student-ensemble'));
    expect(merged.layers.map((l) => l.getClassName())).toContain('Average');
    // the saved model computes the members' mean logits
    const members = await Promise.all(
      ['student-vanilla', 'student-vanilla-self-training'].map((n) => loadModel(join(phaseDir, n))),
    );
    const { tensor4d } = await import('@tensorflow/tfjs');
    const x = tensor4d(
      Float32Array.from({ length: 2 * 24 * 24 * 3 }, (_, i) => Math.sin(i)),
      [2, 24, 24, 3],
    );
    const mean = members
      .map((m) => Array.from((m.predict(x) as { dataSync(): Float32Array }).dataSync()))
      .reduce((s, v) => s.map((t, i) => t + v[i]! / 2), [0, 0, 0, 0, 0, 0]);
    const got = Array.from((merged.predict(x) as { dataSync(): Float32Array }).dataSync());
    expect(Math.max(...got.map((v, i) => Math.abs(v - mean[i]!)))).toBeLessThan(1e-5);
    if (metrics.best?.student === 'student-ensemble') {
      const kept = await loadModel(join(out, 'student'));
      expect(kept.layers.map((l) => l.getClassName())).toContain('Average');
    }
    expect(metrics.best?.distilledStudent).not.toBe('student-ensemble');

    const without = await run({ ...base, out: join(root, 'run-no-ensemble'), ensemble: false });
    expect(without.models.map((m) => m.name)).not.toContain('student-ensemble');
  }, 300_000);
});

describe('shipped student selection', () => {
  it('keeps the best validation score among all students, distilled or not; ties keep the earlier', () => {
    const score = (c: { score: number }) => c.score;
    const vanilla = { name: 'student-vanilla', score: 0.93 };
    const noKd = { name: 'student-no-kd', score: 0.94 };
    expect(pickStudent([vanilla, noKd], score)).toBe(noKd);
    expect(pickStudent([{ ...vanilla, score: 0.95 }, noKd], score)?.name).toBe('student-vanilla');
    expect(pickStudent([vanilla, { ...noKd, score: 0.93 }], score)).toBe(vanilla);
    expect(pickStudent([], score)).toBeUndefined();
  });
});

describe('train options', () => {
  it('reads a YAML --config under the flags and rejects unknown keys with E_CONFIG', async () => {
    const { writeFile } = await import('node:fs/promises');
    const { trainSettings, withConfig } = await import('../../src/train/train-options.js');
    const dir = await mkdtemp(join(tmpdir(), 'mask-edge-train-cfg-'));
    const good = join(dir, 'train.yaml');
    await writeFile(good, 'data: [/data/a]\nepochs: 3\nkd: [vanilla, self-training]\nbaselines: false\n');
    const s = trainSettings(withConfig({ config: good, data: ['/data/b'], epochs: 5, baselines: true }));
    expect(s).toMatchObject({
      data: ['/data/a', '/data/b'],
      epochs: 5,
      kd: ['vanilla', 'self-training'],
      baselines: false,
    });
    const bad = join(dir, 'bad.yaml');
    await writeFile(bad, 'epochz: 3\n');
    expect(() => withConfig({ config: bad })).toThrow(expect.objectContaining({ code: 'E_CONFIG' }));
    expect(() => trainSettings({})).toThrow(expect.objectContaining({ code: 'E_USAGE' }));
    await rm(dir, { recursive: true, force: true });
  });
});
