/** Labelled face datasets: readers (ImageFolder, Pascal VOC, MaskedFace-Net), grouped splits, cached crops. */
export type { CropCacheKeyParts } from './crop-cache.js';
export { cropCacheKey } from './crop-cache.js';
export { hashFile, IMAGE_EXTENSIONS, isImageFile } from './dataset-files.js';
export { splitFromFolderName } from './imagefolder-reader.js';
export { type LabelMap, LabelNames, parseLabelMap, type SkippedLabels } from './label-names.js';
export { type LoadCropsOptions, type LoadCropsResult, loadCrops } from './load-crops.js';
export { labelForMfnKind, type MfnKind, mfnKindOf } from './maskedface-net-names.js';
export {
  DHASH_SIDE,
  type DifferenceHash,
  differenceHash,
  groupNearDuplicates,
  hammingDistance,
  MIN_STRUCTURE_BITS,
  NEAR_DUPLICATE_MAX_DISTANCE,
  type NearDuplicateGroup,
  structureBits,
} from './near-duplicates.js';
export { type DatasetLayout, detectLayout, readDataset } from './read-dataset.js';
export {
  applySplitIds,
  countBySplitAndLabel,
  type SplitOptions,
  splitDataset,
  splitIds,
} from './split-dataset.js';
export {
  applySynthManifest,
  dropLeakedSynthetic,
  type LeakCheck,
  readSynthManifest,
  SYNTH_MANIFEST,
  SYNTH_VARIANTS,
  type SynthFace,
  type SynthManifest,
  type SynthVariant,
  synthManifestSchema,
} from './synthetic-manifest.js';
export * from './types.js';
export { resolveVocImage } from './voc-reader.js';
