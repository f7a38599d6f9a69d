/**
 * BatchNormalization that could not be folded into a preceding Conv/Dense: Mul + Add with per-channel
 * constants shaped for the tensor's ONNX layout.
 */
import { MaskEdgeError } from '../../../core/errors.js';
import { batchNormScaleShift } from '../fold-batchnorm.js';
import type { LayerConverter } from './types.js';

export const batchNormalization: LayerConverter = {
  classNames: ['BatchNormalization'],
  convert(ctx) {
    const { g, layer } = ctx;
    const input = ctx.inputs[0]!;
    const rank = input.shape.length + 1;
    const axis = Number(Array.isArray(layer.config.axis) ? layer.config.axis[0] : (layer.config.axis ?? -1));
    if (axis !== -1 && axis !== rank - 1) {
      throw new MaskEdgeError('E_UNSUPPORTED', `layer '${layer.name}' (BatchNormalization) on axis ${axis}`, {
        detail: { layer: layer.name, type: 'BatchNormalization', axis, expected: 'the channel (last) axis' },
      });
    }
    const channels = input.shape[input.shape.length - 1]!;
    let { scale, shift } = batchNormScaleShift(ctx, channels);
    if (input.flatOrder) {
      const order = input.flatOrder;
      const s = scale;
      const t = shift;
      scale = Float32Array.from(order, (i) => s[i]!);
      shift = Float32Array.from(order, (i) => t[i]!);
    }
    const dims = input.shape.length === 3 ? [channels, 1, 1] : [scale.length];
    const mul = g.op(
      'Mul',
      [input.name, g.addInitializer(`${layer.name}_scale`, 'float32', dims, scale)],
      {},
      layer.name,
    );
    return {
      ...input,
      name: g.op('Add', [mul, g.addInitializer(`${layer.name}_shift`, 'float32', dims, shift)]),
    };
  },
};
