/**
 * `mask-edge train-verifier`: split the annotated photos as `train` does, run the detector over them and keep
 * every box down to a low score, train the face verifier on the train split's boxes (tfjs), convert it to ONNX
 * (checked against tfjs), choose its operating point on the validation photos and report the held-out photos per
 * source, with the detector alone beside it. It crosses train, export and edge, so it lives in cli and imports
 * them lazily.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { type FaceSample, parseLabelMap, readDataset, splitDataset } from '../../core/dataset/index.js';
import { MaskEdgeError } from '../../core/errors.js';
import {
  type MinedPhoto,
  VERIFIER_CONTEXT,
  VERIFIER_CONVENTIONS,
  VERIFIER_INPUT_SIZE,
} from '../../core/face-verifier-spec.js';
import { decodeImage, IMAGENET_MEAN, IMAGENET_STD, normalise } from '../../core/image-io.js';
import { ProgressReporter } from '../../core/progress.js';
import { conventionsFor } from '../box-conventions.js';
import type { TrainVerifierOptions } from '../commands/train-verifier.js';

const say = (line: string) => process.stderr.write(`${line}\n`);
const pct = (v: number) => `${(100 * v).toFixed(1)}%`;

export async function runTrainVerifier(opts: TrainVerifierOptions): Promise<void> {
  const data = opts.data ?? [];
  if (data.length === 0)
    throw new MaskEdgeError('E_USAGE', 'train-verifier needs --data DIR', { detail: { option: '--data' } });
  const conventions = conventionsFor(data, opts.convention);
  const conventionBySource = new Map(data.map((d, i) => [resolve(d), conventions[i]!]));
  const out = resolve(opts.out);
  await mkdir(out, { recursive: true });

  const { samples, skippedLabels } = await readDataset(data, {
    labelMap: parseLabelMap(opts.labelMap),
    skipUnknownLabels: opts.skipUnknownLabels === true,
  });
  const split = splitDataset(samples, { seed: opts.seed });
  const firstPhotos = (s: FaceSample[]) => {
    if (!opts.limit) return s;
    const keep = new Set<string>();
    for (const source of new Set(s.map((x) => x.source))) {
      const photos = new Set(s.filter((x) => x.box && x.source === source).map((x) => x.path));
      for (const p of [...photos].slice(0, opts.limit)) keep.add(p);
    }
    return s.filter((x) => keep.has(x.path));
  };
  for (const which of ['train', 'val', 'test'] as const) split[which] = firstPhotos(split[which]);
  const boxed = (s: FaceSample[]) => s.filter((x) => x.box);
  say(
    `train-verifier: ${samples.length} faces; split seed ${opts.seed} (as train --seed ${opts.seed}); with boxes: train ${boxed(split.train).length}, val ${boxed(split.val).length}, test ${boxed(split.test).length}${skippedLabels.total ? `; ${skippedLabels.total} skipped for their label name` : ''}`,
  );
  if (boxed(split.train).length === 0) {
    throw new MaskEdgeError(
      'E_DATA',
      'no face boxes in the train split: train-verifier needs Pascal VOC photos',
      {
        detail: { data },
      },
    );
  }

  // 1. The detector's raw boxes (no box adjustment: the verifier learns the refinement) on every photo.
  const { openDetector } = await import('../../edge/inference/detector-zoo.js');
  const { mineDetections } = await import('../../edge/eval/detection-mining.js');
  const minedFile = join(out, 'mined.json');
  const key = {
    detector: opts.detector,
    seed: opts.seed,
    data: data.map((d) => resolve(d)),
    conventions,
    floor: 0.05,
    limit: opts.limit ?? null,
    ...(opts.tileAboveScale > 0 ? { tileAboveScale: opts.tileAboveScale } : {}),
  };
  let mined: Record<'train' | 'val' | 'test', MinedPhoto[]> | undefined;
  try {
    const cached = JSON.parse(await readFile(minedFile, 'utf8')) as { key: unknown; mined: typeof mined };
    if (JSON.stringify(cached.key) === JSON.stringify(key)) mined = cached.mined;
  } catch {
    // no cache yet
  }
  if (!mined) {
    const { TiledFaceDetector } = await import('../../edge/inference/tiled-face-detector.js');
    const opened = (await openDetector(opts.detector, { boxConvention: 'none' })).detector;
    const detector =
      opts.tileAboveScale > 0 ? new TiledFaceDetector(opened, { minScale: opts.tileAboveScale }) : opened;
    try {
      mined = { train: [], val: [], test: [] };
      for (const which of ['train', 'val', 'test'] as const) {
        const bar = new ProgressReporter({ total: 1, label: `detect ${which}` });
        const r = await mineDetections(detector, split[which], {
          minScore: 0.05,
          conventionOf: (s) => conventionBySource.get(s.source) ?? 'kaggle',
          onProgress: (d, t) => {
            bar.setTotal(t);
            bar.update(d);
          },
        });
        bar.finish();
        if (r.unreadable.length) say(`  ${r.unreadable.length} unreadable photos skipped (${which})`);
        mined[which] = r.photos;
      }
    } finally {
      await detector.close();
    }
    await writeFile(minedFile, JSON.stringify({ key, mined }));
  }

  // 2. Examples and training (tfjs).
  const { buildExamples } = await import('../../train/verifier/verifier-samples.js');
  const { loadVerifierCrops, trainVerifier } = await import('../../train/verifier/verifier-trainer.js');
  const { startTrainingBackend } = await import('../../train/backends/index.js');
  const { saveModel } = await import('../../train/io/file-io-handler.js');
  const backend = await startTrainingBackend();
  say(`backend: ${backend.name}`);
  const train = buildExamples(mined.train, { seed: opts.seed, minScore: opts.mineScore, jitter: 1 });
  const val = buildExamples(mined.val, { seed: opts.seed + 1, minScore: opts.mineScore, jitter: 0 });
  say(`examples: train ${JSON.stringify(train.counts)}; val ${JSON.stringify(val.counts)}`);
  const trainCrops = await loadVerifierCrops(mined.train, train.examples, 'crops train');
  const valCrops = await loadVerifierCrops(mined.val, val.examples, 'crops val');
  const started = Date.now();
  const trained = await trainVerifier(
    { examples: train.examples, crops: trainCrops },
    { examples: val.examples, crops: valCrops },
    { epochs: opts.epochs, seed: opts.seed, width: opts.width },
  );
  const checkpoint = join(out, 'checkpoint');
  await saveModel(trained.model, checkpoint);
  const trainSeconds = (Date.now() - started) / 1000;

  // 3. ONNX (parity-checked on validation crops), provisional operating point.
  const { exportFaceVerifier } = await import('../../export/face-verifier-export.js');
  const per = VERIFIER_INPUT_SIZE * VERIFIER_INPUT_SIZE * 3;
  const nParity = Math.min(64, valCrops.count);
  const parity = new Float32Array(nParity * per);
  for (let i = 0; i < nParity; i++) {
    normalise(
      {
        width: VERIFIER_INPUT_SIZE,
        height: VERIFIER_INPUT_SIZE,
        data: valCrops.pixels.subarray(i * per, (i + 1) * per),
      },
      { layout: 'NHWC', mean: IMAGENET_MEAN, std: IMAGENET_STD },
      parity,
      i * per,
    );
  }
  const onnxFile = join(out, 'face-verifier.onnx');
  const meta = (candidateMinScore: number, minScore: number, training: Record<string, unknown>) => ({
    inputSize: VERIFIER_INPUT_SIZE,
    context: VERIFIER_CONTEXT,
    conventions: VERIFIER_CONVENTIONS,
    candidateMinScore,
    minScore,
    iou: 0.4,
    training,
  });
  await exportFaceVerifier(checkpoint, onnxFile, meta(0.1, 0.5, {}), parity);

  // 4. The verifier's answer on every mined box of val and test (ONNX Runtime, as the agent runs it).
  const { FaceVerifier } = await import('../../edge/inference/face-verifier.js');
  const { chooseVerifierSetting, scoreVerifierSetting } = await import(
    '../../edge/eval/verifier-selection.js'
  );
  type Verified = Awaited<ReturnType<typeof verifyPhotos>>;
  const verifier = await FaceVerifier.open(onnxFile, { providers: ['cpu'] });
  async function verifyPhotos(photos: MinedPhoto[], label: string) {
    const bar = new ProgressReporter({ total: photos.length, label });
    const result = [];
    for (const [i, photo] of photos.entries()) {
      const frame = await decodeImage(photo.path);
      const verified = await verifier.verify(
        frame,
        photo.detections.map((d) => d.box),
        photo.convention,
      );
      result.push({ photo, verified });
      bar.update(i + 1);
    }
    bar.finish();
    return result;
  }
  let valVerified: Verified;
  let testVerified: Verified;
  try {
    valVerified = await verifyPhotos(mined.val, 'verify val');
    testVerified = await verifyPhotos(mined.test, 'verify test');
  } finally {
    await verifier.close();
  }
  const bySource = (rows: Verified) => {
    const m = new Map<string, Verified>();
    for (const r of rows) m.set(r.photo.convention, [...(m.get(r.photo.convention) ?? []), r]);
    return m;
  };
  const choice = chooseVerifierSetting(bySource(valVerified), opts.minPrecision);
  say(
    `operating point (validation): detector boxes from score ${choice.chosen.candidateMinScore}, kept at sqrt(detector score x face probability) >= ${choice.chosen.minScore}: ${choice.reason}`,
  );

  // 5. Held-out photos per source at the chosen point (eval --pipeline --verifier puts the detector alone beside it).
  const report: Record<string, unknown> = {};
  for (const [source, rows] of bySource(testVerified)) {
    const verified = scoreVerifierSetting(rows, choice.chosen);
    report[source] = { photos: rows.length, ...verified };
    say(
      `test ${source}: ${rows.length} photos, ${verified.faces} faces >= 24 px: recall ${pct(verified.recall)}, precision ${pct(verified.precision)} (${verified.falsePositives} false faces)`,
    );
  }
  const training = {
    data: data.map((d) => basename(resolve(d))),
    conventions,
    seed: opts.seed,
    detector: opts.detector,
    ...(opts.tileAboveScale > 0 ? { tileAboveScale: opts.tileAboveScale } : {}),
    epochs: opts.epochs,
    width: opts.width,
    bestEpoch: trained.bestEpoch,
    examples: train.counts,
    trainSeconds: Math.round(trainSeconds),
    backend: backend.name,
    chosenOn: 'validation',
    reason: choice.reason,
  };
  const exported = await exportFaceVerifier(
    checkpoint,
    onnxFile,
    meta(choice.chosen.candidateMinScore, choice.chosen.minScore, training),
    parity,
  );
  await writeFile(
    join(out, 'report.json'),
    `${JSON.stringify({ ...training, chosen: choice.chosen, history: trained.history, test: report, validationGrid: choice.grid, onnx: exported }, null, 1)}\n`,
  );
  say(
    `wrote ${onnxFile} (${exported.bytes} bytes, ONNX vs tfjs max |diff| ${exported.maxAbsDiff.toExponential(1)}) and report.json`,
  );
}
