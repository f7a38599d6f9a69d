/**
 * `mask-edge export --model RUN_OR_CHECKPOINT --out DIR [--int8 --calib DATA]`: tfjs student -> verified
 * fp32 ONNX (+ static INT8 QDQ), metadata contract, model card and export-report.json.
 */
import { createHash } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join, relative, resolve } from 'node:path';
import { parseLabelMap } from '../core/dataset/index.js';
import { MaskEdgeError } from '../core/errors.js';
import { log as defaultLog, type Logger } from '../core/logger.js';
import { type CardFile, classifierMetadata, setModelMetadata, writeModelCard } from './classifier-card.js';
import { chooseExportData, subsetOf } from './export-data.js';
import { type ExportReport, printSummary } from './export-summary.js';
import { buildInt8 } from './int8-export.js';
import { DEFAULT_IR_VERSION, DEFAULT_OPSET, encodeModel } from './onnx/graph-builder.js';
import { convertLayersModel } from './onnx/tfjs-to-onnx.js';
import { compareOutputs, runLogits } from './onnx-scoring.js';
import { CALIBRATION_METHODS, type CalibrationMethod } from './quantize/quantize-model.js';
import { inputContract, type RunJson, resolveModelSource, runName } from './run-source.js';
import { readTfjsCheckpoint } from './tfjs/checkpoint.js';
import { checkOnnxFile } from './verify/onnx-checker.js';
import { checkTfjsParity } from './verify/tfjs-parity.js';

export interface ExportOptions {
  model: string;
  out: string;
  int8?: boolean;
  calib?: string[];
  calibCount?: number;
  /** --label-map NAME=LABEL entries and --skip-unknown-labels, for the --calib folders. */
  labelMap?: string[];
  skipUnknownLabels?: boolean;
  evalCount?: number;
  verifyCount?: number;
  maxDrop?: number;
  force?: boolean;
  method?: CalibrationMethod | 'auto';
  activations?: 'uint8' | 'int8';
  cacheDir?: string;
  logger?: Logger;
  /** Printed summary goes here (default stdout). */
  print?: (line: string) => void;
}

/** The crop cache the training run used (faces decode once across train and export). */
function runCacheDir(run: RunJson | undefined): string | undefined {
  const dir = (run?.options as { cacheDir?: unknown } | undefined)?.cacheDir;
  return typeof dir === 'string' ? dir : undefined;
}

/** Relative to the working folder when inside it (portable in committed models), else absolute. */
function displayPath(path: string): string {
  const rel = relative(process.cwd(), path);
  return rel === '' ? '.' : rel.startsWith('..') ? path : rel;
}

export const FP32_FILE = 'mask-classifier.onnx';
export const INT8_FILE = 'mask-classifier.int8.onnx';

export async function run(opts: ExportOptions): Promise<ExportReport> {
  const log = opts.logger ?? defaultLog.child({ command: 'export' });
  const out = resolve(opts.out);
  const command = [
    'mask-edge export',
    `--model ${opts.model}`,
    `--out ${opts.out}`,
    ...(opts.int8 ? ['--int8'] : []),
    ...(opts.calib ?? []).map((c) => `--calib ${c}`),
  ].join(' ');
  const source = await resolveModelSource(opts.model);
  for (const w of source.warnings) log.warn(w);
  const ckpt = await readTfjsCheckpoint(source.modelJsonPath);
  const converted = convertLayersModel(ckpt, { inputName: 'input', outputName: 'logits' });
  const contract = inputContract(source, converted.tfInputShape);
  if (converted.outputShape.length !== 1 || converted.outputShape[0] !== contract.labels.length) {
    throw new MaskEdgeError(
      'E_MODEL',
      `${source.modelJsonPath} outputs [${converted.outputShape}] but there are ${contract.labels.length} labels`,
      {
        detail: {
          path: source.modelJsonPath,
          expected: [contract.labels.length],
          actual: converted.outputShape,
        },
      },
    );
  }
  const outputsAreProbabilities = converted.finalActivation === 'softmax';
  log.info('converted', {
    model: source.modelJsonPath,
    foldedBatchNorms: converted.foldedBatchNorms.length,
    removedLayers: converted.removedLayers,
    input: converted.onnxInputShape,
  });
  const data = await chooseExportData(
    source,
    contract,
    {
      calib: opts.calib,
      calibLabels: {
        labelMap: parseLabelMap(opts.labelMap),
        skipUnknownLabels: opts.skipUnknownLabels === true,
      },
      calibCount: opts.calibCount ?? 300,
      evalCount: opts.evalCount ?? 2000,
      needCalibration: Boolean(opts.int8),
      cacheDir: opts.cacheDir ?? runCacheDir(source.run),
    },
    log,
  );
  const parity = await checkTfjsParity(
    source.modelJsonPath,
    converted.bytes,
    subsetOf(data.parity, opts.verifyCount ?? 64),
    contract,
  );
  log.info('fp32 matches tfjs', { ...parity });
  const identity = {
    inputName: converted.inputName,
    outputName: converted.outputName,
    outputKind: outputsAreProbabilities ? ('probabilities' as const) : ('logits' as const),
    modelName: 'mask-classifier',
    modelVersion: `${runName(source)}@${createHash('sha256').update(converted.bytes).digest('hex').slice(0, 12)}`,
    sourceRun: displayPath(source.runDir ?? source.modelJsonPath),
  };
  const fp32Logits = data.evaluation
    ? await runLogits(converted.bytes, data.evaluation, contract)
    : undefined;
  const fp32Eval =
    data.evaluation && fp32Logits
      ? compareOutputs(
          fp32Logits,
          fp32Logits,
          data.evaluation.truth,
          contract.labels,
          outputsAreProbabilities,
        ).reference
      : undefined;
  const fp32Accuracy = fp32Eval?.accuracy ?? source.recordedAccuracy?.accuracy;
  setModelMetadata(converted.model, classifierMetadata(contract, identity, 'fp32', fp32Accuracy));
  const fp32Bytes = encodeModel(converted.model);
  await mkdir(out, { recursive: true });
  const fp32Path = join(out, FP32_FILE);
  await writeFile(fp32Path, fp32Bytes);
  const fp32Checker = await checkOnnxFile(fp32Path);
  if (fp32Checker.status === 'skipped') log.warn(`onnx.checker skipped: ${fp32Checker.reason}`);
  const files: CardFile[] = [
    {
      file: FP32_FILE,
      precision: 'fp32',
      bytes: fp32Bytes.length,
      accuracy: fp32Accuracy,
      accuracyOn: data.evaluation?.description,
    },
  ];
  const report: ExportReport = {
    command,
    source: {
      modelJson: source.modelJsonPath,
      runDir: source.runDir,
      recordedAccuracy: source.recordedAccuracy,
    },
    opset: DEFAULT_OPSET,
    irVersion: DEFAULT_IR_VERSION,
    fp32: {
      path: fp32Path,
      bytes: fp32Bytes.length,
      parity,
      checker: fp32Checker,
      evaluation: fp32Eval,
      evaluatedOn: data.evaluation?.description,
      foldedBatchNorms: converted.foldedBatchNorms,
      removedLayers: converted.removedLayers,
    },
  };
  if (opts.int8) {
    const calib = data.calib!;
    const evalSet = data.evaluation ?? calib;
    const methods = !opts.method || opts.method === 'auto' ? [...CALIBRATION_METHODS] : [opts.method];
    const outcome = await buildInt8(
      { model: converted.model, bytes: fp32Bytes },
      fp32Logits ?? (await runLogits(fp32Bytes, evalSet, contract)),
      calib,
      evalSet,
      contract,
      {
        methods,
        activationType: opts.activations ?? 'uint8',
        percentile: 99.99,
        maxDropPoints: opts.maxDrop ?? 1,
        maxSizeRatio: 0.3,
        outputsAreProbabilities,
      },
      log,
    );
    const int8Accuracy = outcome.evaluation.candidate.accuracy;
    setModelMetadata(outcome.chosen.model, {
      ...classifierMetadata(contract, identity, 'int8', int8Accuracy),
      'mask_edge.quantization': JSON.stringify({
        format: 'QDQ',
        weights: 'int8 symmetric per-channel',
        activations: opts.activations ?? 'uint8',
        calibration: outcome.chosen.method,
        calibrationImages: calib.images.length,
      }),
    });
    const int8Bytes = encodeModel(outcome.chosen.model);
    const int8Path = join(out, INT8_FILE);
    const refused = outcome.problems.length > 0 && !opts.force;
    report.int8 = {
      path: refused ? undefined : int8Path,
      bytes: int8Bytes.length,
      sizeRatio: int8Bytes.length / fp32Bytes.length,
      method: outcome.chosen.method,
      activations: opts.activations ?? 'uint8',
      calibration: { images: calib.images.length, set: calib.description },
      trials: outcome.trials,
      evaluatedOn: evalSet.description,
      fp32Accuracy: outcome.evaluation.reference.accuracy,
      int8Accuracy,
      accuracyDropPoints: outcome.accuracyDropPoints,
      agreement: outcome.evaluation.agreement,
      maxProbDiff: outcome.evaluation.maxProbDiff,
      meanProbDiff: outcome.evaluation.meanProbDiff,
      evaluation: outcome.evaluation.candidate,
      ortOptimizedOps: outcome.fusion.opCounts,
      problems: outcome.problems,
      forced: outcome.problems.length > 0 && Boolean(opts.force),
    };
    if (!refused) {
      await writeFile(int8Path, int8Bytes);
      const checker = await checkOnnxFile(int8Path);
      if (checker.status === 'skipped') log.warn(`onnx.checker skipped: ${checker.reason}`);
      report.int8.checker = checker;
      files.push({
        file: INT8_FILE,
        precision: 'int8',
        bytes: int8Bytes.length,
        accuracy: int8Accuracy,
        accuracyOn: evalSet.description,
        notes: [
          `static QDQ, ${outcome.chosen.method} calibration on ${calib.images.length} faces (${calib.description})`,
          `top-1 agreement with fp32 ${(outcome.evaluation.agreement * 100).toFixed(2)}%, max probability difference ${outcome.evaluation.maxProbDiff.toFixed(4)}`,
          ...outcome.problems.map((p) => `FORCED despite: ${p}`),
        ],
      });
    }
  }
  await writeModelCard(out, {
    contract,
    identity,
    opset: DEFAULT_OPSET,
    irVersion: DEFAULT_IR_VERSION,
    files,
    verification: {
      tfjsParity: parity,
      onnxChecker: fp32Checker,
      int8: report.int8 && { ...report.int8, trials: undefined, evaluation: undefined },
    },
    command,
  });
  await writeFile(join(out, 'export-report.json'), `${JSON.stringify(report, null, 2)}\n`);
  printSummary(report, opts.print ?? ((line) => process.stdout.write(`${line}\n`)));
  if (report.int8 && !report.int8.path) {
    throw new MaskEdgeError(
      'E_QUALITY',
      `refusing to write ${INT8_FILE}: ${report.int8.problems.join('; ')} (use --force to write it anyway)`,
      {
        detail: { path: join(out, INT8_FILE), problems: report.int8.problems },
      },
    );
  }
  return report;
}
