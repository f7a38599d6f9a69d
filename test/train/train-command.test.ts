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
async function makeDataset(dir: string, seed = 3): Promise<void> {
  const rng = new SeededRandom(seed);
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

  it('reports every model on each --data source apart (bySource), summing to the whole test split', async () => {
    const second = join(root, 'second-source');
    await makeDataset(second, 11);
    const metrics = await run({
      ...tinyRun(),
      data: [join(root, 'data'), second],
      out: join(root, 'run-2src'),
    });
    const split = JSON.parse(await readFile(join(root, 'run-2src', 'split.json'), 'utf8')) as {
      test: string[];
    };
    for (const m of metrics.models) {
      expect(Object.keys(m.bySource ?? {})).toEqual(['data', 'second-source']);
      const parts = Object.values(m.bySource!);
      expect(parts.reduce((n, p) => n + p.samples, 0)).toBe(m.samples);
      // the per-source confusion matrices add up to the model's whole-split matrix
      const sum = parts.reduce((acc, p) => acc.map((v, i) => v + p.confusion.flat()[i]!), Array(9).fill(0));
      expect(sum).toEqual(m.confusion.flat());
    }
    const fromSecond = split.test.filter(
      (id) => id.includes('/second-source/') || id.includes(':second-source/'),
    );
    expect(metrics.models[0]!.bySource!['second-source']!.samples).toBe(fromSecond.length);
    // a one-source run has no bySource
    const one = await run({ ...tinyRun(), out: join(root, 'run-1src') });
    expect(one.models[0]!.bySource).toBeUndefined();
  }, 300_000);
});

describe('distillation rounds (end to end, real tfjs wasm + face-api weights)', () => {
  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'mask-edge-train-kd-'));
    await makeDataset(join(root, 'data'));
  });
  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('a first self-training round learns from a label-only student copy, not the teacher: it differs from vanilla; --teacher-epochs is used as given', async () => {
    const base = { ...tinyRun(), seed: 6, ensemble: false, teacherEpochs: 2 };
    const self = await run({ ...base, kd: ['self-training'], out: join(root, 'run-self') });
    expect(self.models.map((m) => m.name)).toEqual([
      'teacher-landmark-tiny',
      'student-label-only',
      'student-self-training',
    ]);
    expect(self.models[0]!.history).toHaveLength(2); // no silent floor of 30 teacher epochs
    expect(self.models[1]).toMatchObject({ role: 'baseline' });
    expect(self.models[2]).toMatchObject({ teacher: 'student-label-only', kd: ['self-training'] });
    const vanilla = await run({ ...base, kd: ['vanilla'], out: join(root, 'run-vanilla') });
    expect(vanilla.models[1]).toMatchObject({ name: 'student-vanilla', teacher: 'teacher-landmark-tiny' });
    const weights = async (out: string, name: string) =>
      (await loadModel(join(out, 'checkpoint', 'phases', name)))
        .getWeights()
        .map((w) => Array.from(w.dataSync()));
    const a = (await weights(join(root, 'run-self'), 'student-self-training')).flat();
    const b = (await weights(join(root, 'run-vanilla'), 'student-vanilla')).flat();
    expect(a.length).toBe(b.length);
    expect(a.some((v, i) => Math.abs(v - b[i]!) > 1e-6)).toBe(true);
    // with baselines, the no-KD student is that label-only copy
    const withBaselines = await run({
      ...base,
      kd: ['self-training'],
      baselines: true,
      out: join(root, 'run-self-baselines'),
    });
    expect(withBaselines.models.find((m) => m.name === 'student-self-training')).toMatchObject({
      teacher: 'student-no-kd',
    });
  }, 300_000);

  it('--teacher-view augmented: the teacher scores the augmented view (a saved teacher reloads to its own logits on clean crops)', async () => {
    const base = { ...tinyRun(), seed: 7, ensemble: false };
    const clean = await run({ ...base, out: join(root, 'view-clean') });
    const aug = await run({ ...base, teacherView: 'augmented', out: join(root, 'view-aug') });
    expect(aug.models.map((m) => m.name)).toEqual(['teacher-landmark-tiny', 'student-vanilla']);
    expect(aug.models[0]!.accuracy).toBe(clean.models[0]!.accuracy); // same teacher either way
    const runJson = JSON.parse(await readFile(join(root, 'view-aug', 'run.json'), 'utf8'));
    expect(runJson.options.teacherView).toBe('augmented');
    const phases = (out: string) => join(root, out, 'checkpoint', 'phases');
    const w = async (out: string) =>
      (await loadModel(join(phases(out), 'student-vanilla')))
        .getWeights()
        .flatMap((t) => Array.from(t.dataSync()));
    const [wc, wa] = [await w('view-clean'), await w('view-aug')];
    expect(wc.some((v, i) => Math.abs(v - wa[i]!) > 1e-6)).toBe(true);
    // the reloaded teacher (frozen backbone + head) gives its recorded logits on the clean validation crops
    const { loadTeacherView } = await import('../../src/train/teachers/teacher-view.js');
    const { loadCrops, readDataset } = await import('../../src/core/dataset/index.js');
    const view = await loadTeacherView(join(phases('view-aug'), 'teacher-landmark-tiny'));
    expect(view.size).toBe(112);
    const recorded = JSON.parse(
      await readFile(join(phases('view-aug'), 'teacher-landmark-tiny.json'), 'utf8'),
    );
    const split = JSON.parse(await readFile(join(root, 'view-aug', 'split.json'), 'utf8'));
    const { samples } = await readDataset([join(root, 'data')]);
    const byId = new Map(samples.map((x) => [x.id, x]));
    const { crops } = await loadCrops(
      split.val.map((id: string) => byId.get(id)!),
      { size: 112, cacheDir: join(root, 'cache') },
    );
    const logits = view.logits(split.val.map((id: string) => crops.get(id)!));
    const want: number[] = recorded.logits.val;
    expect(logits.length).toBe(want.length);
    for (let i = 0; i < want.length; i++) expect(Math.abs(logits[i]! - want[i]!)).toBeLessThan(1e-3);
  }, 300_000);
});

describe('ssd-mobilenet teacher (end to end, real tfjs wasm + face-api SSD weights)', () => {
  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'mask-edge-train-mobilenet-'));
    await makeDataset(join(root, 'data'));
  });
  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('fine-tunes the detector backbone as a teacher, distils from it, and exports it as a 96 px ONNX classifier', async () => {
    const out = join(root, 'run');
    const metrics = await run({ ...tinyRun(), teacher: ['ssd-mobilenet'], ensemble: false, seed: 4, out });
    expect(metrics.models.map((m) => m.name)).toEqual(['teacher-ssd-mobilenet', 'student-vanilla']);
    expect(metrics.models[0]!.history).toHaveLength(1); // --teacher-epochs 1, as given
    expect(metrics.models[0]!.parameters).toBeGreaterThan(3_000_000);
    expect(metrics.models[1]).toMatchObject({ teacher: 'teacher-ssd-mobilenet' });
    // the run's teacher is a plain image model at its own size; export takes it (not run.json's student size)
    const { run: exportRun } = await import('../../src/export/export-command.js');
    const report = await exportRun({
      model: join(out, 'teacher'),
      out: join(root, 'export'),
      verifyCount: 8,
      print: () => {},
    });
    expect(report.fp32.parity.maxAbsDiff).toBeLessThanOrEqual(1e-4);
    expect(report.source.recordedAccuracy?.model).toBe('teacher-ssd-mobilenet');
    const { MaskClassifier } = await import('../../src/edge/inference/mask-classifier.js');
    const classifier = await MaskClassifier.open(join(root, 'export', 'mask-classifier.onnx'));
    expect(classifier.spec.inputSize).toBe(96);
    await classifier.close();
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
  it('train --help shows every default of TRAIN_DEFAULTS it has a flag for', async () => {
    const { buildProgram } = await import('../../src/cli/program.js');
    const { TRAIN_DEFAULTS } = await import('../../src/train/train-options.js');
    const train = buildProgram().commands.find((c) => c.name() === 'train')!;
    const help = train.helpInformation().replace(/\s+/g, ' ');
    const flags: [string, unknown][] = [
      ['--teacher <names>', TRAIN_DEFAULTS.teachers.join(',')],
      ['--kd <methods>', TRAIN_DEFAULTS.kd.join(',')],
      ['--teacher-view <view>', TRAIN_DEFAULTS.teacherView],
      ['--temperature <T>', TRAIN_DEFAULTS.temperature],
      ['--alpha <a>', TRAIN_DEFAULTS.alpha],
      ['--size <px>', TRAIN_DEFAULTS.size],
      ['--epochs <n>', TRAIN_DEFAULTS.epochs],
      ['--batch-size <n>', TRAIN_DEFAULTS.batchSize],
      ['--lr <rate>', TRAIN_DEFAULTS.lr],
      ['--weight-decay <wd>', TRAIN_DEFAULTS.weightDecay],
      ['--width <n>', TRAIN_DEFAULTS.width],
      ['--blocks <n>', TRAIN_DEFAULTS.blocks],
      ['--workers <n|auto>', TRAIN_DEFAULTS.workers],
      ['--seed <n>', TRAIN_DEFAULTS.seed],
      ['--patience <n>', TRAIN_DEFAULTS.patience],
      ['--class-weights <mode>', TRAIN_DEFAULTS.classWeights],
    ];
    // teacher epochs default per teacher (TEACHER_EPOCHS), and the help names both
    const { TEACHER_EPOCHS } = await import('../../src/train/train-options.js');
    const teacherEpochs = help.slice(help.indexOf('--teacher-epochs <n>'), help.indexOf(' --batch-size'));
    expect(teacherEpochs).toContain(`${TEACHER_EPOCHS['ssd-mobilenet']} for ssd-mobilenet`);
    expect(teacherEpochs).toContain(`${TEACHER_EPOCHS.head} for the heads`);
    for (const [flag, value] of flags) {
      const at = help.indexOf(flag);
      expect(at, flag).toBeGreaterThan(-1);
      const next = help.indexOf(' --', at + flag.length);
      expect(help.slice(at, next < 0 ? undefined : next), flag).toContain(`(default ${value})`);
    }
  });

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
