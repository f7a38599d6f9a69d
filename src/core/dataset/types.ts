import type { Box } from '../image-io.js';
import type { Label } from '../labels.js';
import type { LabelMap, SkippedLabels } from './label-names.js';

export type Split = 'train' | 'val' | 'test';
export const SPLITS: readonly Split[] = ['train', 'val', 'test'];

export type DatasetFormat = 'imagefolder' | 'voc' | 'maskedface-net';

/** One labelled face: a box in a photo (VOC) or a whole image that is the face (ImageFolder, MaskedFace-Net). */
export interface FaceSample {
  /** Unique and stable across runs, e.g. 'voc:kaggle-face-mask/maksssksksss12.jpg#3'. */
  id: string;
  /** Absolute path of the photo. */
  path: string;
  /** Face box in photo pixels (VOC); undefined = the whole image is the face. */
  box?: Box;
  label: Label;
  /**
   * Photo identity for splitting: `sha1:<SHA-1 of the file bytes>`, so exact duplicate photos share one group,
   * or `near:<SHA-1>` shared by every photo of a near-duplicate set (see ReadDatasetOptions.nearDuplicateDistance).
   */
  group: string;
  format: DatasetFormat;
  /** Preset by an ImageFolder train/val/test layout. */
  split?: Split;
  /** The --data dir it came from (absolute). */
  source: string;
  /**
   * Synthetic faces (`mask-edge data synth`): the real photo this face was made from. Such a face trains only
   * where that photo is in train (see dropLeakedSynthetic).
   */
  derivedFrom?: {
    path: string;
    sha1?: string;
    /** The --data or --faces folder of the real photo. */
    dataDir?: string;
    origin?: 'data' | 'faces';
  };
}

export type DataProblemKind =
  | 'unreadable'
  | 'tiny'
  | 'duplicate'
  | 'unknown-label'
  | 'missing-annotation'
  | 'missing-image'
  | 'bad-annotation'
  | 'label-conflict'
  | 'skipped-by-policy'
  | 'ignored-file'
  | 'cache-write';

/** Something wrong with one file; reported, never fatal for a run. */
export interface DataProblem {
  kind: DataProblemKind;
  path: string;
  message: string;
}

/**
 * How MaskedFace-Net file names map to labels (the names describe where the mask sits):
 * - `_Mask` -> correct; `_CWM` -> correct; `_IWM` -> incorrect;
 * - `_Mask_Mouth_Chin` (nose uncovered) and `_Mask_Chin` (nose and mouth uncovered) -> incorrect;
 * - `_Mask_Nose_Mouth` (chin uncovered) -> `noseMouth` (default 'incorrect', as the shared data README counts it;
 *   'correct' treats an uncovered chin as acceptable; 'skip' drops those images and reports them).
 * Where the file also sits in a label folder (`correct/`, `incorrect/`, aliases) and the two disagree,
 * `conflict` decides: 'folder' (default: the folder wins), 'name' (the name wins) or 'skip' (drop it).
 * Every disagreement is reported as a 'label-conflict' problem.
 */
export interface MfnPolicy {
  noseMouth?: Label | 'skip';
  conflict?: 'folder' | 'name' | 'skip';
}

export interface ReadDatasetOptions {
  mfnPolicy?: MfnPolicy;
  /** Report faces whose shorter side (box, or image for whole-image samples) is below this many pixels. */
  minFace?: number;
  /** Drop the faces reported as tiny (default false: they are only reported). */
  dropTiny?: boolean;
  /** --label-map: the dataset's own label names mapped to labels (or 'skip'), before the built-in aliases. */
  labelMap?: LabelMap;
  /** Leave faces with an unknown label name out (counted in `skippedLabels`) instead of failing with E_DATA. */
  skipUnknownLabels?: boolean;
  /**
   * Photos whose 256-bit difference hashes differ in at most this many bits are near copies and share a
   * split group (default 32; false turns near-duplicate grouping off, leaving byte-identical grouping).
   */
  nearDuplicateDistance?: number | false;
}

/** A set of near-identical photos (re-encoded, resized, watermarked copies, or shots of the same scene). */
export interface NearDuplicatePhotos {
  /** The `group` its faces carry. */
  group: string;
  /** Photo paths, sorted (byte-identical copies included). */
  paths: string[];
  /** Largest hash distance of a link that joined the set (bits of 256). */
  maxDistance: number;
}

export interface ReadDatasetResult {
  samples: FaceSample[];
  problems: DataProblem[];
  /** Near-duplicate photo sets found (empty when grouping is off). */
  nearDuplicates: NearDuplicatePhotos[];
  /** Faces left out for their label name (unknown with skipUnknownLabels, or mapped to 'skip'). */
  skippedLabels: SkippedLabels;
}
