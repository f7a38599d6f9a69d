import { type Command, InvalidArgumentError } from 'commander';
import {
  addLabelOptions,
  collect,
  commaList,
  parseInteger,
  parseNumber,
  parseTileAboveScale,
} from './option-parsers.js';

export interface EvalOptions {
  model?: string;
  detector?: string;
  boxConvention?: string;
  verifier?: string;
  data?: string[];
  json?: boolean;
  pipeline?: boolean;
  split?: 'train' | 'val' | 'test';
  splitFile?: string;
  seed?: number;
  minFace?: number;
  minDetectionSize?: number;
  tileAboveScale?: number;
  annotate?: string;
  providers?: string[];
  threads?: number;
  batch?: number;
  limit?: number;
  minScore?: number;
  correctMin?: number;
  labelMap?: string[];
  skipUnknownLabels?: boolean;
}

function parseSplit(value: string): 'train' | 'val' | 'test' {
  if (value === 'train' || value === 'val' || value === 'test') return value;
  throw new InvalidArgumentError(`--split must be train, val or test, got '${value}'`);
}

export function registerEval(program: Command): void {
  const command = program.command('eval');
  command
    .description(
      'accuracy of an ONNX classifier on a dataset, or of the whole device pipeline with --pipeline',
    )
    .option('--model <file>', 'ONNX mask classifier (default: the bundled model)')
    .option('--data <dir>', 'dataset folder (ImageFolder, MaskedFace-Net or Pascal VOC); repeatable', collect)
    .option('--json', 'print exactly one JSON object on stdout')
    .option(
      '--split <name>',
      'only this split (train, val, test): preset folders, or --split-file',
      parseSplit,
    )
    .option(
      '--split-file <file>',
      "a training run's split.json (or the run folder): evaluate its held-out split",
    )
    .option(
      '--seed <n>',
      'split all --data by photo with this seed as `train --seed N` does on the same folders, and evaluate --split (default test)',
      parseInteger('--seed', 0),
    )
    .option('--pipeline', 'full photos through detector + classifier (needs a Pascal VOC --data)')
    .option(
      '--detector <name|file>',
      '--pipeline: face detector, a zoo name (ssd-mobilenet-v1-512, ssd-mobilenet-v1-384, ssd-mobilenet-v1-320, their static INT8 versions ssd-mobilenet-v1-512-int8/-384-int8/-320-int8, ssd-mobilenet-v1-512x384-int8, ssd-mobilenet-v1-512x384-tuned(-int8), tiny-face-416, tiny-face-320) or an ONNX file (default ssd-mobilenet-v1-512x384-tuned-int8, as the agent)',
    )
    .option(
      '--box-convention <source>',
      "--pipeline: the detector's box adjustment fitted on this source's train split (kaggle, ilc; none: off); with --verifier, the convention it refines boxes to",
    )
    .option(
      '--verifier <file>',
      "--pipeline: the face verifier after the detector, as the agent's models.verifier: auto (default: the bundled one when it was trained on this detector's boxes), an ONNX file (mask-edge train-verifier) or none",
      'auto',
    )
    .option(
      '--min-face <px>',
      '--pipeline: leave out annotated faces smaller than this',
      parseInteger('--min-face', 0),
    )
    .option(
      '--min-detection-size <px>',
      "--pipeline: drop detections narrower than this, as the agent's detection.minFaceSize does (default 0)",
      parseInteger('--min-detection-size', 0),
    )
    .option(
      '--tile-above-scale <x>',
      "--pipeline: photos at least this many times the detector's input are also detected in 2 x 2 overlapping tiles, as the agent's detection.tileAboveScale (default 1.5; 0: never)",
      parseTileAboveScale,
    )
    .option('--annotate <dir>', '--pipeline: write annotated photos (detections, labels, missed faces) here')
    .option('--min-score <p>', '--pipeline: detector score threshold', parseNumber('--min-score', 0, 1))
    .option(
      '--correct-min <p>',
      "decide labels as the agent's detection.correctMinProbability does: correct only at this probability or more",
      parseNumber('--correct-min', 0, 1),
    )
    .option(
      '--providers <list>',
      'execution providers in priority order (default auto: tensorrt, cuda, webgpu, cpu where present)',
      commaList,
    )
    .option('--threads <n>', 'onnxruntime intra-op threads', parseInteger('--threads', 1, 256))
    .option('--batch <n>', 'classifier batch size', parseInteger('--batch', 1, 4096), 64)
    .option(
      '--limit <n>',
      'evaluate only the first N photos/samples (quick checks)',
      parseInteger('--limit', 1),
    );
  addLabelOptions(command).action(async (opts: EvalOptions) => {
    const { run } = await import('../../edge/eval/eval-command.js');
    await run(opts);
  });
}
