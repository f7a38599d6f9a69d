import { cp, mkdir, readFile, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import {
  dropLeakedSynthetic,
  type FaceSample,
  loadCrops,
  parseLabelMap,
  readDataset,
  SPLITS,
  type Split,
  splitDataset,
} from '../core/dataset/index.js';
import { MaskEdgeError } from '../core/errors.js';
import { IMAGENET_MEAN, IMAGENET_STD, type RgbImage } from '../core/image-io.js';
import { LABELS, labelIndex } from '../core/labels.js';
import { ProgressReporter } from '../core/progress.js';
import { startTrainingBackend } from './backends/index.js';
import { trainRandomForestBaseline } from './baselines/random-forest-baseline.js';
import { saveModel } from './io/file-io-handler.js';
import { DEFAULT_KD_PARAMS, kdRounds, roundTeacher } from './kd/index.js';
import { resolveWorkerCount } from './parallel/worker-count.js';
import type { ModelOutcome, RunContext } from './pipeline/context.js';
import { trainStudentEnsemble } from './pipeline/ensemble-phase.js';
import { PhaseStore } from './pipeline/phase-store.js';
import { modelMetrics, sourceSubsets, teacherTable, valScore } from './pipeline/run-metrics.js';
import { goalNotes, summary } from './pipeline/run-summary.js';
import { trainStudent } from './pipeline/student-phase.js';
import { type MetricsFile, type ModelMetrics, writeMetricsFile, writeReport } from './report/index.js';
import { loadTeacherView } from './teachers/teacher-view.js';
import { trainTeacher } from './teachers/teacher-zoo.js';
import { classWeightsFor, type TrainSettings, trainSettings, withConfig } from './train-options.js';

const say = (msg: string) => process.stderr.write(`${msg}\n`);

/** `mask-edge train`: data -> split -> teachers -> baselines -> distilled student(s) -> run directory + report. */
export async function run(opts: Record<string, unknown>): Promise<MetricsFile> {
  const started = Date.now();
  let settings = trainSettings(withConfig(opts));
  let previousSec = 0; // wall time of earlier sessions of a resumed run
  const out = resolve(settings.out);
  if (settings.resume) {
    const saved = JSON.parse(
      await readFile(join(out, 'run.json'), 'utf8').catch(() => {
        throw new MaskEdgeError('E_NOT_FOUND', `nothing to resume in ${out} (no run.json)`, {
          detail: { path: out },
        });
      }),
    ) as { options: TrainSettings; wallTimeSec?: number };
    // options a run saved before a field existed take its default (e.g. ensemble)
    settings = {
      ...saved.options,
      ensemble: (saved.options as Partial<TrainSettings>).ensemble ?? true,
      teacherView: (saved.options as Partial<TrainSettings>).teacherView ?? 'clean',
      resume: true,
      json: settings.json,
    };
    previousSec = saved.wallTimeSec ?? 0;
  }
  const elapsed = () => previousSec + (Date.now() - started) / 1000;
  await mkdir(out, { recursive: true });

  const backend = await startTrainingBackend(settings.backend);
  for (const f of backend.failures) say(`backend ${f.name} unavailable: ${f.error}`);
  say(`backend: ${backend.name} — ${backend.device}`);
  const workers = resolveWorkerCount({
    requested: settings.workers,
    backend: backend.name,
    batchSize: settings.batchSize,
  });
  say(`student gradient workers: ${workers.workers} (${workers.reason})`);

  // Data: read, split (grouped by photo, seeded), crops decoded once per size and cached.
  const labelMap = parseLabelMap(settings.labelMap);
  const { samples, problems, skippedLabels } = await readDataset(
    settings.data.map((d) => resolve(d)),
    { labelMap, skipUnknownLabels: settings.skipUnknownLabels },
  );
  if (skippedLabels.total > 0)
    say(
      `left out for their label name: ${skippedLabels.total} faces ${JSON.stringify(skippedLabels.byName)}`,
    );
  for (const p of problems.slice(0, 20)) say(`data problem (${p.kind}): ${p.path}: ${p.message}`);
  if (problems.length > 20) say(`... ${problems.length - 20} more data problems`);
  // Synthetic faces (data synth) train only where their real photo is in train of this very split.
  const leakCheck = dropLeakedSynthetic(splitDataset(samples, { seed: settings.seed }), settings.data);
  let split = leakCheck.splits;
  if (leakCheck.dropped.length > 0) {
    say(
      `synthetic faces dropped to keep val/test unseen: ${leakCheck.dropped.length} (first: ${leakCheck.dropped[0]?.reason})`,
    );
  }
  const cacheDir = settings.cacheDir ?? join(homedir(), '.cache', 'mask-edge', 'crops');
  const cropMaps = new Map<number, Map<string, RgbImage>>();
  const loadAt = async (size: number, list: FaceSample[]) => {
    const progress = new ProgressReporter({ total: list.length, label: `crops ${size}px` });
    const res = await loadCrops(list, { size, cacheDir, onProgress: (d) => progress.update(d) });
    progress.finish();
    for (const p of res.problems) say(`skipped (${p.kind}): ${p.path}: ${p.message}`);
    cropMaps.set(size, res.crops);
    return res.crops;
  };
  const base = await loadAt(settings.size, samples);
  split = Object.fromEntries(SPLITS.map((s) => [s, split[s].filter((x) => base.has(x.id))])) as Record<
    Split,
    FaceSample[]
  >;
  const counts = Object.fromEntries(SPLITS.map((s) => [s, split[s].length])) as Record<Split, number>;
  await writeFile(
    join(out, 'split.json'),
    JSON.stringify(
      { seed: settings.seed, ...Object.fromEntries(SPLITS.map((s) => [s, split[s].map((x) => x.id)])) },
      null,
      1,
    ),
  );
  const labels = Object.fromEntries(
    SPLITS.map((s) => [s, split[s].map((x) => labelIndex(x.label))]),
  ) as Record<Split, number[]>;
  const trainCounts = LABELS.map((_, i) => labels.train.filter((l) => l === i).length);
  const classWeights = classWeightsFor(trainCounts, settings.classWeights);
  say(
    `split: train ${counts.train}, val ${counts.val}, test ${counts.test}; train per label ${JSON.stringify(Object.fromEntries(LABELS.map((l, i) => [l, trainCounts[i]])))}; class weights ${classWeights.map((w) => w.toFixed(2)).join(', ')}`,
  );

  const runJson = {
    version: 1,
    labels: [...LABELS],
    inputSize: settings.size,
    layout: 'NHWC',
    mean: [...IMAGENET_MEAN],
    std: [...IMAGENET_STD],
    colorOrder: 'RGB',
    scale: '1/255',
    margin: 0.15,
    seed: settings.seed,
    data: settings.data.map((d) => resolve(d)),
    labelMap,
    skipUnknownLabels: settings.skipUnknownLabels,
    skippedLabels,
    backend: backend.name,
    device: backend.device,
    backendFailures: backend.failures,
    splitCounts: counts,
    trainCountsPerLabel: Object.fromEntries(LABELS.map((l, i) => [l, trainCounts[i]])),
    classWeights,
    options: settings,
    startedAt: new Date(started).toISOString(),
  };
  await writeFile(join(out, 'run.json'), JSON.stringify(runJson, null, 1));

  let stop = false;
  const onSigint = () => {
    if (stop) process.exit(130);
    stop = true;
    say('\ninterrupt: saving a resumable checkpoint (Ctrl-C again to quit at once)');
  };
  process.on('SIGINT', onSigint);
  const store = new PhaseStore(join(out, 'checkpoint'));
  const reporters = new Map<string, ProgressReporter>();
  const ctx: RunContext = {
    seed: settings.seed,
    studentSize: settings.size,
    labels,
    async cropsAt(size) {
      const map = cropMaps.get(size) ?? (await loadAt(size, [...split.train, ...split.val, ...split.test]));
      return Object.fromEntries(SPLITS.map((s) => [s, split[s].map((x) => map.get(x.id)!)])) as Record<
        Split,
        RgbImage[]
      >;
    },
    classWeights,
    featureCacheDir: join(cacheDir, 'features'),
    train: {
      batchSize: settings.batchSize,
      learningRate: settings.lr,
      weightDecay: settings.weightDecay,
      seed: settings.seed,
      classWeights,
      patience: settings.patience,
      workers: workers.workers,
      shouldStop: () => stop,
    },
    ...(settings.teacherEpochs !== undefined ? { teacherEpochs: settings.teacherEpochs } : {}),
    studentEpochs: settings.epochs,
    checkpointDir: (phase) => join(out, 'checkpoint', 'trainer', phase),
    resume: settings.resume,
    log: say,
    onEpoch: (phase) => (r) => {
      reporters.get(phase)?.finish();
      reporters.delete(phase);
      say(
        `${phase} epoch ${r.epoch}: loss ${r.trainLoss.toFixed(4)} train acc ${r.trainAccuracy.toFixed(3)} val acc ${r.valAccuracy.toFixed(3)} val bal ${r.valBalancedAccuracy.toFixed(3)} (${r.seconds.toFixed(0)}s)`,
      );
    },
    onStep: (phase, epochs) => (i) => {
      let rep = reporters.get(phase);
      if (!rep) {
        rep = new ProgressReporter({ total: i.steps, label: `${phase} epoch ${i.epoch + 1}/${epochs}` });
        reporters.set(phase, rep);
      }
      rep.update(i.step + 1, { loss: i.loss, acc: i.acc });
    },
  };

  const phase = async (
    name: string,
    fn: () => Promise<{ outcome: ModelOutcome; save(dir: string): Promise<void> }>,
  ) => {
    const done = await store.load(name);
    if (done) {
      say(`${name}: already trained (resumed run), skipping`);
      return done;
    }
    say(`== ${name}`);
    const r = await fn();
    await r.save(store.modelDir(name));
    await store.save(r.outcome, name);
    return r.outcome;
  };

  const backendLabel = backend.name;
  // Held-out real photos (VOC boxes) vs whole-image faces (MaskedFace-Net / ImageFolder), reported apart (issue 5).
  const subsets = [
    { key: 'testReal', indices: split.test.flatMap((x, i) => (x.format === 'voc' ? [i] : [])) },
    {
      key: 'testMaskedFaceNet',
      indices: split.test.flatMap((x, i) => (x.format === 'maskedface-net' ? [i] : [])),
    },
  ].filter((s) => s.indices.length > 0 && s.indices.length < split.test.length);
  // Each source folder apart, when there are several: the issue-10 tables (every model, every source).
  const perSource = sourceSubsets(split.test);
  if (perSource.length > 1) subsets.push(...perSource);
  const models: ModelMetrics[] = [];
  try {
    // Teachers: trained and compared; the best on validation teaches.
    const teachers: ModelOutcome[] = [];
    for (const name of settings.teachers) {
      teachers.push(
        await phase(`teacher-${name}`, async () => {
          const t = await trainTeacher(name, ctx, settings.teacherWeights);
          return { outcome: t, save: (dir) => t.save(dir) };
        }),
      );
    }
    const bestTeacher = teachers.reduce((a, b) => (valScore(b, ctx) > valScore(a, ctx) ? b : a));
    const teacherMetrics = teachers.map((t) => modelMetrics(t, 'teacher', ctx, backendLabel, {}, subsets));
    models.push(...teacherMetrics);
    say(`teachers (best on validation teaches: ${bestTeacher.name})\n${teacherTable(teacherMetrics)}`);

    const shape = { width: settings.width, blocks: settings.blocks };
    let noKd: ModelOutcome | undefined;
    if (settings.baselines) {
      noKd = await phase('student-no-kd', async () => {
        const r = await trainStudent('student-no-kd', ctx, shape, { params: DEFAULT_KD_PARAMS });
        return { outcome: r.outcome, save: (dir) => saveModel(r.model, dir) };
      });
      models.push(modelMetrics(noKd, 'baseline', ctx, backendLabel, {}, subsets));
      const rf = await phase('random-forest', async () => {
        const t0 = Date.now();
        const crops = await ctx.cropsAt(settings.size);
        const forest = await trainRandomForestBaseline(crops.train, labels.train, { seed: settings.seed });
        const logits = {} as ModelOutcome['logits'];
        let ips = 0;
        for (const s of SPLITS) {
          const t1 = Date.now();
          const proba = await forest.predictProba(crops[s]);
          logits[s] = Float32Array.from(proba.flatMap((p) => p.map((v) => Math.log(Math.max(v, 1e-6)))));
          if (s === 'test') ips = crops.test.length / Math.max(1e-9, (Date.now() - t1) / 1000);
        }
        const outcome: ModelOutcome = {
          name: 'random-forest',
          description: `random forest (${forest.trees} trees) on HOG + colour features`,
          parameters: 0,
          logits,
          history: [],
          wallTimeSec: (Date.now() - t0) / 1000,
          imagesPerSec: ips,
        };
        return { outcome, save: async () => {} };
      });
      const { parameters: _p, ...rfMetrics } = modelMetrics(
        rf,
        'baseline',
        ctx,
        'ml-random-forest',
        {},
        subsets,
      );
      models.push(rfMetrics as ModelMetrics);
    }

    // Distillation rounds, chained: each round's student can teach the next (self-training).
    const rounds = kdRounds(settings.kd);
    const params = { ...DEFAULT_KD_PARAMS, temperature: settings.temperature, alpha: settings.alpha };
    let previous: ModelOutcome | undefined;
    const students: ModelOutcome[] = [];
    // A label-only copy of the student: self-training's teacher in a first round (KD_Lib). The no-KD baseline is
    // exactly that; with --no-baselines it is trained here.
    const labelOnlyStudent = async (): Promise<ModelOutcome> => {
      if (noKd) return noKd;
      noKd = await phase('student-label-only', async () => {
        const r = await trainStudent('student-label-only', ctx, shape, { params: DEFAULT_KD_PARAMS });
        return { outcome: r.outcome, save: (dir) => saveModel(r.model, dir) };
      });
      models.push(modelMetrics(noKd, 'baseline', ctx, backendLabel, {}, subsets));
      return noKd;
    };
    for (const [i, method] of rounds.entries()) {
      const name = `student-${settings.kd.slice(0, i + 1).join('-')}`;
      const which = roundTeacher(method, i);
      const source =
        which === 'best-teacher'
          ? bestTeacher
          : which === 'previous-student' && previous
            ? previous
            : await labelOnlyStudent();
      if (which === 'label-only-student')
        say(
          `${name}: first-round ${method.name} learns from ${source.name}, a label-only copy of the student`,
        );
      const s = await phase(name, async () => {
        const r = await trainStudent(name, ctx, shape, {
          method,
          teacherLogits: source.logits.train,
          ...(settings.teacherView === 'augmented'
            ? { teacherView: await loadTeacherView(store.modelDir(source.name)) }
            : {}),
          teacherName: source.name,
          params,
          // round 1 shares init and augmentation with student-no-kd (a controlled KD comparison); later rounds get
          // their own seed, so chained students differ and their ensemble gains from it
          seed: settings.seed + i,
        });
        return { outcome: r.outcome, save: (dir) => saveModel(r.model, dir) };
      });
      students.push(s);
      models.push(
        modelMetrics(
          s,
          'student',
          ctx,
          backendLabel,
          { teacher: source.name, kd: settings.kd.slice(0, i + 1) },
          subsets,
        ),
      );
      previous = s;
    }
    // The student ensemble (mean logits of every student CNN) is one more candidate for the kept student.
    const singles = [...students, ...(noKd ? [noKd] : [])];
    let ensemble: ModelOutcome | undefined;
    if (settings.ensemble && singles.length >= 2) {
      ensemble = await phase('student-ensemble', async () => {
        const members = singles.map((o) => ({ outcome: o, dir: store.modelDir(o.name) }));
        const r = await trainStudentEnsemble('student-ensemble', members, ctx);
        return { outcome: r.outcome, save: (dir) => saveModel(r.model, dir) };
      });
      models.push(modelMetrics(ensemble, 'student', ctx, backendLabel, {}, subsets));
    }
    // The shipped student: the best on validation among every student CNN, distilled or not (same architecture),
    // and their ensemble.
    const bestStudent = pickStudent([...singles, ...(ensemble ? [ensemble] : [])], (o) => valScore(o, ctx));
    const bestDistilled = pickStudent(students, (o) => valScore(o, ctx));
    if (bestStudent && bestStudent !== bestDistilled)
      say(`${bestStudent.name} beats the distilled students on validation: it is the one kept`);

    // Run directory per CONTRACTS §3.
    await cp(store.modelDir(bestTeacher.name), join(out, 'teacher'), { recursive: true });
    if (bestStudent) await cp(store.modelDir(bestStudent.name), join(out, 'student'), { recursive: true });
    const notes = goalNotes(models, bestTeacher.name, bestStudent?.name);
    if (bestDistilled && bestDistilled !== bestStudent)
      notes.push(...goalNotes(models, bestTeacher.name, bestDistilled.name).map((n) => `distilled ${n}`));
    for (const f of backend.failures) notes.push(`backend ${f.name} unavailable: ${f.error}`);
    const metrics: MetricsFile = {
      version: 1,
      createdAt: new Date().toISOString(),
      labels: [...LABELS],
      splitCounts: counts,
      data: runJson.data,
      seed: settings.seed,
      backend: `${backend.name} — ${backend.device}`,
      totalWallTimeSec: elapsed(),
      best: {
        teacher: bestTeacher.name,
        ...(bestStudent ? { student: bestStudent.name } : {}),
        ...(bestDistilled ? { distilledStudent: bestDistilled.name } : {}),
      },
      models,
      notes,
    };
    await writeMetricsFile(join(out, 'metrics.json'), metrics);
    await writeFile(
      join(out, 'run.json'),
      JSON.stringify(
        {
          ...runJson,
          bestTeacher: bestTeacher.name,
          bestStudent: bestStudent?.name,
          finishedAt: new Date().toISOString(),
          wallTimeSec: metrics.totalWallTimeSec,
        },
        null,
        1,
      ),
    );
    await writeReport(out, metrics);
    say(summary(models, metrics));
    if (settings.json) process.stdout.write(`${JSON.stringify(metrics)}\n`);
    return metrics;
  } catch (err) {
    // keep the wall time spent so far, so a resumed run reports the total
    await writeFile(join(out, 'run.json'), JSON.stringify({ ...runJson, wallTimeSec: elapsed() }, null, 1));
    throw err;
  } finally {
    process.off('SIGINT', onSigint);
  }
}

/** The first highest-scoring candidate (ties keep the earlier one: distilled students come before the baseline). */
export function pickStudent<T>(candidates: T[], score: (c: T) => number): T | undefined {
  let best: T | undefined;
  let bestScore = Number.NEGATIVE_INFINITY;
  for (const c of candidates) {
    const v = score(c);
    if (v > bestScore) {
      best = c;
      bestScore = v;
    }
  }
  return best;
}
