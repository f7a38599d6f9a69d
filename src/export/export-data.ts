/**
 * Chooses the faces export works on: calibration (the run's val split, or --calib folders), evaluation (the
 * run's held-out test split, else what calibration did not use) and the parity-check subset.
 */
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { FaceSample, ReadDatasetOptions } from '../core/dataset/index.js';
import { MaskEdgeError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import { packageDir } from '../core/package-paths.js';
import { type FaceSet, loadFaceSet, readSamples, spreadSubset } from './face-images.js';
import { type InputContract, type ModelSource, runDataDirs } from './run-source.js';

export interface ExportDataOptions {
  calib?: string[];
  /** --label-map / --skip-unknown-labels for the --calib folders. */
  calibLabels?: Pick<ReadDatasetOptions, 'labelMap' | 'skipUnknownLabels'>;
  calibCount: number;
  evalCount: number;
  needCalibration: boolean;
  cacheDir?: string;
}

export interface ExportData {
  calib?: FaceSet;
  /** Labelled faces for accuracy; undefined when only unlabelled demo photos were available. */
  evaluation?: FaceSet;
  /** Real images for the tfjs parity check. */
  parity: FaceSet;
}

const byId = (a: FaceSample, b: FaceSample): number => a.id.localeCompare(b.id);

function pick(samples: Map<string, FaceSample>, ids: string[] | undefined): FaceSample[] {
  return (ids ?? []).map((id) => samples.get(id)).filter((s): s is FaceSample => s !== undefined);
}

/** The face-api demo photos (real people, unlabelled): parity images when no dataset is at hand. */
async function demoPhotos(contract: InputContract): Promise<FaceSet> {
  const dir = join(packageDir('@vladmandic/face-api'), 'demo');
  const files = (await readdir(dir)).filter((f) => f.endsWith('.jpg')).sort();
  const samples: FaceSample[] = files.map((f) => ({
    id: `demo:${f}`,
    path: join(dir, f),
    label: 'no_mask',
    group: f,
    format: 'imagefolder',
    source: dir,
  }));
  return loadFaceSet(samples, contract, `face-api demo photos (${dir})`);
}

export async function chooseExportData(
  source: ModelSource,
  contract: InputContract,
  options: ExportDataOptions,
  log: Logger,
): Promise<ExportData> {
  const load = (samples: FaceSample[], what: string): Promise<FaceSet> => {
    log.info('loading faces', { set: what, faces: samples.length });
    return loadFaceSet(samples, contract, what, { cacheDir: options.cacheDir });
  };
  const runDirs = runDataDirs(source);
  const hasRunSplits = Boolean(source.splits && runDirs.length > 0);
  // the run's data read as train read it: its --label-map and --skip-unknown-labels (run.json)
  const runLabels = {
    ...(source.run?.labelMap ? { labelMap: source.run.labelMap } : {}),
    skipUnknownLabels: source.run?.skipUnknownLabels === true,
  };
  const runSamples = hasRunSplits
    ? new Map((await readSamples(runDirs, runLabels)).map((s) => [s.id, s]))
    : undefined;
  let calibSamples: FaceSample[] = [];
  let evalSamples: FaceSample[] = [];
  let calibWhat = '';
  let evalWhat = '';
  if (options.calib && options.calib.length > 0) {
    const all = (await readSamples(options.calib, options.calibLabels)).sort(byId);
    calibSamples = spreadSubset(all, options.calibCount);
    calibWhat = `--calib ${options.calib.join(', ')}`;
    if (runSamples) {
      evalSamples = pick(runSamples, source.splits?.test ?? source.splits?.val);
      evalWhat = `run ${source.splits?.test ? 'test' : 'val'} split`;
    } else {
      const used = new Set(calibSamples.map((s) => s.id));
      const rest = all.filter((s) => !used.has(s.id));
      evalSamples = rest.length > 0 ? rest : all;
      evalWhat =
        rest.length > 0
          ? `${calibWhat} (faces not used for calibration)`
          : `${calibWhat} (same faces as calibration)`;
    }
  } else if (runSamples) {
    calibSamples = spreadSubset(pick(runSamples, source.splits?.val).sort(byId), options.calibCount);
    calibWhat = 'run val split';
    const test = pick(runSamples, source.splits?.test);
    evalSamples = test.length > 0 ? test : pick(runSamples, source.splits?.val);
    evalWhat = test.length > 0 ? 'run test split' : 'run val split';
  } else if (options.needCalibration) {
    throw new MaskEdgeError(
      'E_USAGE',
      `no calibration images for ${source.modelJsonPath}: pass --calib DATA_DIR`,
      {
        detail: {
          path: source.modelJsonPath,
          expected: '--calib DIR or a run folder with run.json + split.json',
        },
      },
    );
  }
  if (options.needCalibration && calibSamples.length === 0) {
    throw new MaskEdgeError('E_DATA', `the calibration set (${calibWhat}) has no faces`, {
      detail: { path: options.calib?.join(', ') ?? source.runDir, expected: 'labelled face images' },
    });
  }
  evalSamples = spreadSubset(evalSamples.sort(byId), options.evalCount);
  const evaluation = evalSamples.length > 0 ? await load(evalSamples, evalWhat) : undefined;
  const calib = options.needCalibration ? await load(calibSamples, calibWhat) : undefined;
  const parity = evaluation ?? calib ?? (await demoPhotos(contract));
  return { calib, evaluation, parity };
}

/** `count` faces spread over a set (parity checks need a few real images, not thousands). */
export function subsetOf(set: FaceSet, count: number): FaceSet {
  const idx = spreadSubset(
    set.ids.map((_, i) => i),
    count,
  );
  return {
    ids: idx.map((i) => set.ids[i]!),
    images: idx.map((i) => set.images[i]!),
    truth: idx.map((i) => set.truth[i]!),
    description: set.description,
  };
}
