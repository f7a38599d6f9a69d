/** MaxPooling2D / AveragePooling2D (TF 'same' averages exclude padding: count_include_pad = 0). */
import { imageInput, pair, planWindow } from './layout.js';
import type { LayerConverter } from './types.js';

export const pooling2d: LayerConverter = {
  classNames: ['MaxPooling2D', 'AveragePooling2D', 'MaxPool2D', 'AvgPool2D'],
  convert(ctx) {
    const { g, layer } = ctx;
    const input = imageInput(ctx);
    const size = pair(layer.config.pool_size, 2);
    const strides = layer.config.strides == null ? size : pair(layer.config.strides, 1);
    const plan = planWindow(ctx, [input.shape[0], input.shape[1]], size, strides);
    const op = layer.className.startsWith('Max') ? 'MaxPool' : 'AveragePool';
    const attrs = {
      kernel_shape: size,
      strides,
      pads: plan.pads,
      ...(op === 'AveragePool' ? { count_include_pad: 0 } : {}),
    };
    const y = g.op(op, [input.name], attrs, layer.name);
    return { name: y, shape: [plan.out[0], plan.out[1], input.shape[2]] };
  },
};

export const globalPooling2d: LayerConverter = {
  classNames: ['GlobalAveragePooling2D', 'GlobalMaxPooling2D', 'GlobalAvgPool2D', 'GlobalMaxPool2D'],
  convert(ctx) {
    const { g, layer } = ctx;
    const input = imageInput(ctx);
    const op = layer.className.includes('Max') ? 'GlobalMaxPool' : 'GlobalAveragePool';
    const pooled = g.op(op, [input.name], {}, layer.name);
    const channels = input.shape[2];
    if (layer.config.keepdims === true) return { name: pooled, shape: [1, 1, channels] };
    return { name: g.op('Flatten', [pooled], { axis: 1 }), shape: [channels] };
  },
};
