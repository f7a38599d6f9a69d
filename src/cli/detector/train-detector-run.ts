/**
 * `mask-edge train-detector`: fine-tunes the SSD face detector's box predictors on annotated photos (issue 11).
 * Split as `train` splits (same --data and --seed keep the classifier run's split); the frozen network computes
 * the six feature maps of every train photo and its mirror once (ONNX Runtime), the heads train on them (tfjs),
 * and the result is written as a heads file (src/core/detector-heads-file.ts), built into an ONNX detector and
 * scored per source on the validation photos (and the held-out test photos, reported only) beside the detector it
 * started from. Each source's boxes are brought into face-api's convention with the inverse of that source's
 * recorded box adjustment, so every source teaches the same box and the per-source adjustment still applies.
 * It crosses train, export and edge, so it lives in cli and imports them lazily.
 */
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { type FaceSample, parseLabelMap, readDataset, splitDataset } from '../../core/dataset/index.js';
import { writeDetectorHeads } from '../../core/detector-heads-file.js';
import { MaskEdgeError } from '../../core/errors.js';
import { decodeImage, type RgbImage } from '../../core/image-io.js';
import { MODELS_DIR } from '../../core/package-paths.js';
import { ProgressReporter } from '../../core/progress.js';
import { conventionsFor } from '../box-conventions.js';
import type { TrainDetectorOptions } from '../commands/train-detector.js';

type Adjust = import('../../edge/inference/detector-contract.js').BoxAdjust;

const say = (line: string) => process.stderr.write(`${line}\n`);
const pct = (v: number) => `${(100 * v).toFixed(1)}%`;

function mirror(frame: RgbImage): RgbImage {
  const { width, height, data } = frame;
  const out = new Uint8Array(data.length);
  for (let y = 0; y < height; y++) {
    const row = y * width * 3;
    for (let x = 0; x < width; x++) {
      const s = row + x * 3;
      const d = row + (width - 1 - x) * 3;
      out[d] = data[s] as number;
      out[d + 1] = data[s + 1] as number;
      out[d + 2] = data[s + 2] as number;
    }
  }
  return { width, height, data: out };
}

export async function runTrainDetector(opts: TrainDetectorOptions): Promise<void> {
  const data = opts.data ?? [];
  if (data.length === 0)
    throw new MaskEdgeError('E_USAGE', 'train-detector needs --data DIR', { detail: { option: '--data' } });
  const conventions = conventionsFor(data, opts.convention);
  const conventionOf = new Map<string, string>(data.map((d, i) => [resolve(d), conventions[i]!]));
  const out = resolve(opts.out);
  await mkdir(out, { recursive: true });

  const { samples } = await readDataset(data, {
    labelMap: parseLabelMap(opts.labelMap),
    skipUnknownLabels: opts.skipUnknownLabels === true,
  });
  const split = splitDataset(samples, { seed: opts.seed });
  const { photosFromSamples, detectPhotos } = await import('../../edge/eval/detection-recall.js');
  const sourceOf = new Map(samples.map((x) => [x.path, x.source]));
  const photosOf = (s: FaceSample[]) => {
    const photos = photosFromSamples(s).map((p) => ({
      ...p,
      convention: conventionOf.get(sourceOf.get(p.path) ?? '') ?? 'kaggle',
    }));
    if (!opts.limit) return photos;
    const limit = opts.limit;
    const seen = new Map<string, number>();
    return photos.filter((p) => {
      const n = seen.get(p.convention) ?? 0;
      seen.set(p.convention, n + 1);
      return n < limit;
    });
  };
  const sets = { train: photosOf(split.train), val: photosOf(split.val), test: photosOf(split.test) };
  say(
    `train-detector: split seed ${opts.seed} (as train --seed ${opts.seed}): photos with boxes: train ${sets.train.length}, val ${sets.val.length}, test ${sets.test.length}`,
  );
  if (sets.train.length === 0) {
    throw new MaskEdgeError(
      'E_DATA',
      'no face boxes in the train split: train-detector needs Pascal VOC photos',
      {
        detail: { data },
      },
    );
  }

  // 1. The base detector with its feature maps as outputs (fp32), and its recorded box adjustments.
  const { DETECTOR_ZOO } = await import('../../edge/inference/detector-zoo.js');
  const base = DETECTOR_ZOO.find((d) => d.name === opts.base);
  if (base?.architecture !== 'ssd') {
    throw new MaskEdgeError('E_USAGE', `--base must be an SSD of the detector zoo, got '${opts.base}'`, {
      detail: {
        option: '--base',
        value: opts.base,
        known: DETECTOR_ZOO.filter((d) => d.architecture === 'ssd').map((d) => d.name),
      },
    });
  }
  const recorded = JSON.parse(await readFile(join(MODELS_DIR, base.boxAdjustFile), 'utf8')) as Adjust & {
    bySource?: Record<string, Adjust>;
  };
  const pick = ({ dx, dy, sw, sh }: Adjust): Adjust => ({ dx, dy, sw, sh });
  const adjustBySource: Record<string, Adjust> = Object.fromEntries(
    Object.entries(recorded.bySource ?? {}).map(([k, v]) => [k, pick(v)]),
  );
  const { buildFaceDetector, faceApiModelDir, SSD_MANIFEST } = await import(
    '../../export/detector/build-face-detector.js'
  );
  const shape = { inputSize: base.inputSize, ...(base.inputHeight ? { inputHeight: base.inputHeight } : {}) };
  const buildWith = (file: string, extra: Record<string, unknown>) =>
    buildFaceDetector({
      out: file,
      architecture: 'ssd',
      ...shape,
      defaults: { minScore: base.minScore, iou: base.iou, maxFaces: 100 },
      boxAdjust: pick(recorded),
      boxAdjustBySource: adjustBySource,
      ...extra,
    });
  const featureModel = join(out, 'features.onnx');
  await buildWith(featureModel, { featureOutputs: true });
  const { openOnnxSession } = await import('../../core/onnx-session.js');
  const { parseDetectorContract } = await import('../../edge/inference/detector-contract.js');
  const { letterbox } = await import('../../edge/inference/detector-input.js');
  const { generateAnchors, unadjustBox } = await import('../../edge/inference/box-decoding.js');
  const { ssdFeatureOutput, ssdHeadTensorNames } = await import(
    '../../export/detector/ssd-mobilenet-graph.js'
  );
  const opened = await openOnnxSession(featureModel, { providers: ['cpu'], checkContract: false });
  const contract = parseDetectorContract(opened.metadata, featureModel);
  if (contract.coding.kind !== 'ssd-center-size')
    throw new MaskEdgeError('E_INTERNAL', 'SSD coding expected');
  const width = contract.inputSize;
  const height = contract.inputHeight;
  const anchors = generateAnchors(contract.coding.layers, width, height);
  const layersShape = contract.coding.layers.map((l) => ({
    rows: l.featureMap[0],
    cols: l.featureMap[1],
    perCell: l.boxes.length,
  }));

  const { anchorTargets } = await import('../../train/detector/ssd-anchor-targets.js');
  type View = import('../../train/detector/ssd-head-trainer.js').HeadView;
  async function extract(frame: RgbImage): Promise<Float32Array[]> {
    const input = letterbox(frame, contract);
    const tensor = new opened.runtime.Tensor('float32', input.tensor, [1, 3, height, width]);
    const result = await opened.session.run({ [contract.inputName]: tensor });
    return layersShape.map((l, i) => {
      const nchw = result[ssdFeatureOutput(i)]?.data as Float32Array;
      const cells = l.rows * l.cols;
      const channels = nchw.length / cells;
      const nhwc = new Float32Array(nchw.length);
      for (let c = 0; c < channels; c++) {
        const plane = c * cells;
        for (let p = 0; p < cells; p++) nhwc[p * channels + c] = nchw[plane + p] as number;
      }
      return nhwc;
    });
  }
  const scale = contract.coding.scale;
  async function viewsOf(photos: typeof sets.train, withMirror: boolean, label: string): Promise<View[]> {
    const views: View[] = [];
    const bar = new ProgressReporter({ total: photos.length, label });
    let skipped = 0;
    for (const [i, photo] of photos.entries()) {
      let frame: RgbImage;
      try {
        frame = await decodeImage(photo.path);
      } catch {
        skipped++;
        continue;
      }
      const adjust = adjustBySource[photo.convention] ?? pick(recorded);
      // letterbox: the frame is padded bottom/right to the input's aspect ratio, then scaled.
      const side = Math.max(frame.width / width, frame.height / height);
      const normalised = (flip: boolean) =>
        photo.faces.map((f) => {
          const x = flip ? frame.width - f.box.x - f.box.width : f.box.x;
          return unadjustBox(
            {
              xmin: x / side / width,
              xmax: (x + f.box.width) / side / width,
              ymin: f.box.y / side / height,
              ymax: (f.box.y + f.box.height) / side / height,
            },
            adjust,
          );
        });
      for (const flip of withMirror ? [false, true] : [false]) {
        const features = await extract(flip ? mirror(frame) : frame);
        views.push({
          features,
          targets: anchorTargets(anchors, normalised(flip), {
            scale,
            inputWidth: width,
            inputHeight: height,
          }),
        });
      }
      bar.update(i + 1);
    }
    bar.finish();
    if (skipped) say(`  ${skipped} unreadable photos skipped (${label})`);
    return views;
  }
  const started = Date.now();
  const trainViews = await viewsOf(sets.train, true, 'features train');
  const valViews = await viewsOf(sets.val, false, 'features val');
  await opened.session.release();
  await rm(featureModel, { force: true });
  say(
    `features: ${trainViews.length} train views (photos and mirrors), ${valViews.length} val; face anchors per view ${(
      trainViews.reduce((n, v) => n + v.targets.positives, 0) / trainViews.length
    ).toFixed(1)} (${((Date.now() - started) / 1000).toFixed(0)}s)`,
  );

  // 2. Train the heads (tfjs), starting from face-api's.
  const { readTfjsWeights } = await import('../../export/detector/tfjs-weights.js');
  const weights = await readTfjsWeights(join(faceApiModelDir(), SSD_MANIFEST));
  const initial = layersShape.map((l, i) => {
    const names = ssdHeadTensorNames(i);
    const get = (n: string) => {
      const t = weights.get(n);
      if (!t) throw new MaskEdgeError('E_MODEL', `face-api SSD weights lack ${n}`, { detail: { name: n } });
      return t;
    };
    const boxWeights = get(names.boxWeights);
    return {
      cells: l.rows * l.cols,
      channels: boxWeights.shape[2] ?? 0,
      perCell: l.perCell,
      boxWeights: boxWeights.data,
      boxBiases: get(names.boxBiases).data,
      classWeights: get(names.classWeights).data,
      classBiases: get(names.classBiases).data,
    };
  });
  const { startTrainingBackend } = await import('../../train/backends/index.js');
  const backend = await startTrainingBackend();
  say(`backend: ${backend.name}`);
  const { trainSsdHeads } = await import('../../train/detector/ssd-head-trainer.js');
  const trainStart = Date.now();
  const trained = await trainSsdHeads(initial, trainViews, valViews, {
    epochs: opts.epochs,
    learningRate: opts.learningRate,
    seed: opts.seed,
  });
  const trainSeconds = (Date.now() - trainStart) / 1000;
  trainViews.length = 0;

  const tensors = trained.layers.flatMap((layer, i) => {
    const names = ssdHeadTensorNames(i);
    const original = (n: string) => weights.get(n)?.shape ?? [];
    return [
      { name: names.boxWeights, shape: original(names.boxWeights), data: layer.boxWeights },
      { name: names.boxBiases, shape: original(names.boxBiases), data: layer.boxBiases },
      { name: names.classWeights, shape: original(names.classWeights), data: layer.classWeights },
      { name: names.classBiases, shape: original(names.classBiases), data: layer.classBiases },
    ];
  });
  const trainedOn = {
    data: data.map((d) => basename(resolve(d))),
    conventions: Object.fromEntries([...conventionOf].map(([k, v]) => [basename(k), v])),
    split: `train split, seed ${opts.seed} (as train --seed ${opts.seed}); ${sets.train.length} photos and their mirrors`,
    epochs: opts.epochs,
    bestEpoch: trained.bestEpoch,
    learningRate: opts.learningRate,
    trainSeconds: Math.round(trainSeconds),
    history: trained.history,
  };
  const headsFile = join(out, 'detector-heads.json');
  await writeDetectorHeads(headsFile, {
    format: 'mask-edge-ssd-heads',
    version: 1,
    base: base.name,
    inputSize: [height, width],
    trainedOn,
    tensors,
  });

  // 3. Box adjustments of the fine-tuned detector, fitted again on the train photos of each convention (as
  // scripts/build-face-detector.mjs fits them: median offset and size ratio of detections paired with faces).
  const { FaceDetector } = await import('../../edge/inference/face-detector.js');
  const { fitBoxAdjust } = await import('../../edge/eval/box-calibration.js');
  const heads = new Map(tensors.map((t) => [t.name, t]));
  const headsNote = `box predictors fine-tuned by mask-edge train-detector (${trainedOn.split})`;
  const unadjustedModel = join(out, 'face-detector-tuned-unadjusted.onnx');
  await buildWith(unadjustedModel, { heads, headsNote, boxAdjust: undefined, boxAdjustBySource: undefined });
  const fitted: Record<string, Adjust & { fittedOn: string }> = {};
  for (const convention of [...new Set(sets.train.map((p) => p.convention))]) {
    const photos = sets.train.filter((p) => p.convention === convention);
    const detector = await FaceDetector.open(unadjustedModel, { providers: ['cpu'] });
    const bar = new ProgressReporter({ total: photos.length, label: `box fit ${convention}` });
    const detected = await detectPhotos(detector, photos, {
      minScore: 0.3,
      onProgress: (d) => bar.update(d),
    });
    bar.finish();
    await detector.close();
    let fit: ReturnType<typeof fitBoxAdjust>;
    try {
      fit = fitBoxAdjust(detected, { minScore: 0.3, minIou: 0.3, minFace: 24 });
    } catch (err) {
      if (!(err instanceof MaskEdgeError && err.code === 'E_DATA')) throw err;
      // Too few faces (a --limit run): keep the base detector's recorded fit for this convention, and say so.
      const kept = adjustBySource[convention] ?? pick(recorded);
      fitted[convention] = { ...kept, fittedOn: `the base detector's recorded fit (${err.message})` };
      say(`box adjustment (${convention}): kept the base detector's: ${err.message}`);
      continue;
    }
    const round = (v: number) => Number(v.toFixed(3));
    fitted[convention] = {
      dx: round(fit.dx),
      dy: round(fit.dy),
      sw: round(fit.sw),
      sh: round(fit.sh),
      fittedOn: `train split (seed ${opts.seed}) of ${convention} photos: ${fit.pairs} detected faces in ${photos.length} photos`,
    };
    say(`box adjustment (${convention}): ${JSON.stringify(fitted[convention])}`);
  }
  await rm(unadjustedModel, { force: true });
  const main = fitted.kaggle ?? Object.values(fitted)[0];
  if (!main) throw new MaskEdgeError('E_INTERNAL', 'no box adjustment fitted');
  const boxAdjustFile = join(out, 'box-adjust.json');
  await writeFile(boxAdjustFile, `${JSON.stringify({ ...main, bySource: fitted }, null, 1)}\n`);

  // 4. The fine-tuned detector (fp32) beside the base one, per source, on validation and test photos.
  const tunedModel = join(out, 'face-detector-tuned.onnx');
  await buildWith(tunedModel, {
    heads,
    headsNote,
    boxAdjust: pick(main),
    boxAdjustBySource: Object.fromEntries(Object.entries(fitted).map(([k, v]) => [k, pick(v)])),
  });
  const baseModel = join(out, 'face-detector-base.onnx');
  await buildWith(baseModel, {});
  const { recallAtThresholds } = await import('../../edge/eval/detection-recall.js');
  const thresholds = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7];
  const report: Record<string, unknown> = {
    trainedOn,
    heads: headsFile,
    boxAdjust: fitted,
    model: tunedModel,
  };
  for (const [which, model] of [
    ['base', baseModel],
    ['tuned', tunedModel],
  ] as const) {
    for (const set of ['val', 'test'] as const) {
      for (const convention of [...new Set(sets[set].map((p) => p.convention))]) {
        const photos = sets[set].filter((p) => p.convention === convention);
        const detector = await FaceDetector.open(model, { providers: ['cpu'], boxConvention: convention });
        // As eval --pipeline --min-detection-size 24: detections under 24 px are dropped, not counted.
        const detected = (await detectPhotos(detector, photos, { minScore: 0.05 })).map((p) => ({
          ...p,
          detections: p.detections.filter((d) => Math.min(d.box.width, d.box.height) >= 24),
        }));
        await detector.close();
        const sweep = recallAtThresholds(detected, thresholds, { iou: 0.5, minFace: 24 }).map((r) => ({
          minScore: r.minScore,
          recall: r.summary.recall,
          precision: r.summary.detections > 0 ? 1 - r.summary.falsePositives / r.summary.detections : 0,
          faces: r.summary.faces,
        }));
        report[`${which}.${set}.${convention}`] = sweep;
        say(
          `${which} ${set} ${convention} (${photos.length} photos, ${sweep[0]?.faces} faces >= 24 px): ${sweep
            .map((r) => `@${r.minScore} ${pct(r.recall)}/${pct(r.precision)}`)
            .join('  ')}`,
        );
      }
    }
  }
  await writeFile(join(out, 'report.json'), `${JSON.stringify(report, null, 1)}\n`);
  say(`wrote ${headsFile}, ${boxAdjustFile}, ${tunedModel} and report.json`);
}
