/** Layers that are the identity at inference: removed from the ONNX graph. */
import type { LayerConverter } from './types.js';

export const trainingOnly: LayerConverter = {
  classNames: [
    'Dropout',
    'SpatialDropout1D',
    'SpatialDropout2D',
    'GaussianNoise',
    'GaussianDropout',
    'AlphaDropout',
    'ActivityRegularization',
  ],
  convert: (ctx) => ctx.inputs[0]!,
};
