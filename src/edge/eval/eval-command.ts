/**
 * `mask-edge eval`: classifier accuracy on a dataset, or with --pipeline the whole device pipeline on annotated
 * photos. --json prints exactly one JSON object on stdout; progress and logs go to stderr.
 */
import { basename, join } from 'node:path';
import { parseLabelMap, readDataset, type Split } from '../../core/dataset/index.js';
import { MaskEdgeError } from '../../core/errors.js';
import type { VerifierConvention } from '../../core/face-verifier-spec.js';
import { MODELS_DIR } from '../../core/package-paths.js';
import { ProgressReporter } from '../../core/progress.js';
import { DEFAULT_DETECTOR_NAME, openDetector } from '../inference/detector-zoo.js';
import { VerifiedFaceDetector, withVerifier } from '../inference/face-verifier.js';
import { MaskClassifier } from '../inference/mask-classifier.js';
import { DEFAULT_TILE_ABOVE_SCALE, TILE_GRID, TiledFaceDetector } from '../inference/tiled-face-detector.js';
import { evaluateClassifier } from './classifier-eval.js';
import { formatClassifierReport, formatPipelineReport } from './eval-report.js';
import { evaluatePipeline, PIPELINE_MAX_FACES } from './pipeline-eval.js';
import { selectSamples } from './sample-selection.js';

/** Options as commander parses them (declared in src/cli/commands/eval.ts). */
export interface EvalOptions {
  model?: string;
  detector?: string;
  boxConvention?: string;
  data?: string[];
  json?: boolean;
  pipeline?: boolean;
  split?: Split;
  splitFile?: string;
  seed?: number;
  minFace?: number;
  minDetectionSize?: number;
  annotate?: string;
  minScore?: number;
  providers?: string[];
  threads?: number;
  batch?: number;
  limit?: number;
  correctMin?: number;
  /** --pipeline: a face verifier ONNX file after the detector ('none': off). */
  verifier?: string;
  /** --pipeline: tile photos at least this many times the detector's input (default: the agent's; 0: never). */
  tileAboveScale?: number;
  /** --label-map NAME=LABEL entries. */
  labelMap?: string[];
  /** Leave faces with unknown label names out (counted: `skippedUnknownLabels` in the report) instead of E_DATA. */
  skipUnknownLabels?: boolean;
}

export const DEFAULT_CLASSIFIER = join(MODELS_DIR, 'mask-classifier.int8.onnx');

function progress(label: string): ProgressReporter {
  return new ProgressReporter({ total: 1, label, sink: process.stderr });
}

export async function run(opts: EvalOptions): Promise<void> {
  if (!opts.data || opts.data.length === 0) {
    throw new MaskEdgeError('E_USAGE', 'eval needs --data DIR', { detail: { option: '--data' } });
  }
  const modelPath = opts.model ?? DEFAULT_CLASSIFIER;
  const session = { providers: opts.providers, threads: opts.threads };
  const {
    samples: all,
    problems,
    skippedLabels,
  } = await readDataset(opts.data, {
    labelMap: parseLabelMap(opts.labelMap),
    skipUnknownLabels: opts.skipUnknownLabels === true,
  });
  const selection = await selectSamples(all, {
    split: opts.split,
    splitFile: opts.splitFile,
    seed: opts.seed,
  });
  let samples = selection.samples;
  let boxless = 0;
  if (opts.pipeline && opts.seed !== undefined) {
    // Folders without face boxes (MaskedFace-Net) take part in the split, as in training, not in --pipeline.
    const withBoxes = samples.filter((s) => s.box);
    boxless = samples.length - withBoxes.length;
    samples = withBoxes;
  }
  if (opts.limit) {
    if (opts.pipeline) {
      const photos = [...new Set(samples.map((s) => s.path))].slice(0, opts.limit);
      const keep = new Set(photos);
      samples = samples.filter((s) => keep.has(s.path));
    } else {
      samples = samples.slice(0, opts.limit);
    }
  }
  process.stderr.write(
    `eval: ${selection.note}; using ${samples.length}${boxless ? ` (${boxless} without face boxes left out)` : ''}${problems.length ? `; ${problems.length} data problems` : ''}${skippedLabels.total ? `; ${skippedLabels.total} faces skipped for their label name ${JSON.stringify(skippedLabels.byName)}` : ''}\n`,
  );

  const classifier = await MaskClassifier.open(modelPath, session);
  try {
    const model = {
      path: modelPath,
      name: classifier.spec.modelName,
      version: classifier.spec.modelVersion,
      precision: classifier.spec.precision,
      provider: classifier.provider,
    };
    if (!opts.pipeline) {
      const bar = progress('classify');
      const result = await evaluateClassifier(classifier, samples, {
        batch: opts.batch,
        correctMin: opts.correctMin,
        onProgress: (done, total) => {
          bar.setTotal(total);
          bar.update(done);
        },
      });
      bar.finish();
      const out = { ...result.metrics, model, skipped: result.problems.length, skippedLabels };
      process.stdout.write(opts.json ? `${JSON.stringify(out)}\n` : formatClassifierReport(out));
      return;
    }
    const sourceByPath = new Map(samples.map((s) => [s.path, basename(s.source)]));
    const sourceLabel = (path: string) => sourceByPath.get(path);
    const opened = await openDetector(opts.detector ?? DEFAULT_DETECTOR_NAME, {
      ...session,
      ...(opts.boxConvention ? { boxConvention: opts.boxConvention } : {}),
    });
    const detector = opened.detector;
    let staged: Awaited<ReturnType<typeof withVerifier>>['detector'] = detector;
    let verified: VerifiedFaceDetector | undefined;
    let verifierChoice: { path?: string; reason: string } = { reason: 'off' };
    const tileAbove = opts.tileAboveScale ?? DEFAULT_TILE_ABOVE_SCALE;
    try {
      // As the agent: by default the bundled verifier when it was trained on this detector's boxes, and large
      // photos tiled.
      const chosen = await withVerifier(
        opened,
        opts.verifier ?? 'auto',
        {
          ...session,
          ...(opts.boxConvention ? { convention: opts.boxConvention as VerifierConvention | 'none' } : {}),
        },
        tileAbove > 0 ? { minScale: tileAbove } : undefined,
      );
      verifierChoice = chosen.verifier;
      staged = chosen.detector;
      if (chosen.detector instanceof VerifiedFaceDetector) verified = chosen.detector;
    } catch (err) {
      await detector.close();
      throw err;
    }
    const tiled = [staged, verified?.detector].find((d) => d instanceof TiledFaceDetector) as
      | TiledFaceDetector
      | undefined;
    try {
      const bar = progress('detect+classify');
      const metrics = await evaluatePipeline(staged, classifier, samples, {
        minFace: opts.minFace,
        minDetectionSize: opts.minDetectionSize,
        minScore: opts.minScore,
        annotateDir: opts.annotate,
        correctMin: opts.correctMin,
        sourceOf: sourceLabel,
        onProgress: (done, total) => {
          bar.setTotal(total);
          bar.update(done);
        },
      });
      bar.finish();
      const out = {
        ...metrics,
        problems: metrics.problems.length,
        skippedLabels,
        model,
        detector: {
          name: opened.name,
          path: opened.path,
          provider: detector.provider,
          inputSize: detector.contract.inputSize,
          // a non-square input (e.g. 512 x 384): inputSize is its width
          ...(detector.contract.inputHeight !== detector.contract.inputSize
            ? { inputHeight: detector.contract.inputHeight }
            : {}),
          minScore: metrics.minScore,
          iou: detector.contract.defaults.iou,
          maxFaces: PIPELINE_MAX_FACES,
          boxConvention: opts.boxConvention ?? 'model default',
          boxAdjust: detector.contract.boxAdjust,
        },
        tiling: tiled
          ? { aboveScale: tileAbove, ...TILE_GRID, tiledPhotos: tiled.tiledFrames, tilesRun: tiled.tilesRun }
          : { aboveScale: 0 },
        verifier: verified
          ? {
              path: verified.verifier.path,
              convention: verified.verifier.convention,
              candidateMinScore: verified.verifier.settings.candidateMinScore,
              minScore: metrics.minScore,
              rejected: verified.rejected,
              reason: verifierChoice.reason,
            }
          : { path: null, reason: verifierChoice.reason },
      };
      process.stdout.write(opts.json ? `${JSON.stringify(out)}\n` : formatPipelineReport(out));
    } finally {
      await staged.close();
    }
  } finally {
    await classifier.close();
  }
}
