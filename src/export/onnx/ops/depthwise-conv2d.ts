/** DepthwiseConv2D: a grouped ONNX Conv (group = input channels); output channel c*multiplier + m as in tfjs. */
import { applyActivation } from './activation-functions.js';
import { imageInput, pair, planWindow } from './layout.js';
import type { LayerConverter } from './types.js';

export const depthwiseConv2d: LayerConverter = {
  classNames: ['DepthwiseConv2D'],
  convert(ctx) {
    const { g, layer } = ctx;
    const input = imageInput(ctx);
    const kernel = ctx.weight('depthwise_kernel');
    const [kh, kw, cin, mult] = kernel.shape as [number, number, number, number];
    const strides = pair(layer.config.strides, 1);
    const dilations = pair(layer.config.dilation_rate, 1);
    const plan = planWindow(ctx, [input.shape[0], input.shape[1]], [kh, kw], strides, dilations);
    const cout = cin * mult;
    // [kh, kw, cin, mult] -> [cin*mult, 1, kh, kw]
    const w = new Float32Array(kernel.data.length);
    for (let y = 0; y < kh; y++)
      for (let x = 0; x < kw; x++)
        for (let c = 0; c < cin; c++)
          for (let m = 0; m < mult; m++) {
            w[((c * mult + m) * kh + y) * kw + x] = kernel.data[((y * kw + x) * cin + c) * mult + m]!;
          }
    const inputs = [input.name, g.addInitializer(`${layer.name}_W`, 'float32', [cout, 1, kh, kw], w)];
    if (layer.config.use_bias !== false && ctx.hasWeight('bias')) {
      inputs.push(g.addInitializer(`${layer.name}_B`, 'float32', [cout], ctx.weight('bias').data));
    }
    const y = g.op(
      'Conv',
      inputs,
      { kernel_shape: [kh, kw], strides, dilations, pads: plan.pads, group: cin },
      layer.name,
    );
    return applyActivation(
      ctx,
      { name: y, shape: [plan.out[0], plan.out[1], cout] },
      layer.config.activation,
    );
  },
};
