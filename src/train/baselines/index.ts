/** Classical baselines for the training report: HOG + colour features and a random forest on them. */
export {
  type BaselineFeatureOptions,
  baselineFeatureLength,
  extractBaselineFeatureMatrix,
  extractBaselineFeatures,
} from './baseline-features.js';
export { FeatureQuantizer } from './feature-quantizer.js';
export { type GreyImage, type HogOptions, hogFeatures, hogLength, rgbToGrey } from './hog.js';
export {
  RandomForestBaseline,
  type RandomForestBaselineOptions,
  trainRandomForestBaseline,
} from './random-forest-baseline.js';
