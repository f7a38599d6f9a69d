/** Conv2D: HWIO kernel -> OIHW, explicit TF padding, fused activation. (A following BatchNorm is pre-folded.) */
import { MaskEdgeError } from '../../../core/errors.js';
import { applyActivation } from './activation-functions.js';
import { imageInput, pair, planWindow } from './layout.js';
import type { LayerConverter } from './types.js';

/** [kh, kw, cin, cout] -> [cout, cin, kh, kw] */
export function hwioToOihw(
  data: Float32Array,
  kh: number,
  kw: number,
  cin: number,
  cout: number,
): Float32Array {
  const out = new Float32Array(data.length);
  for (let y = 0; y < kh; y++)
    for (let x = 0; x < kw; x++)
      for (let i = 0; i < cin; i++)
        for (let o = 0; o < cout; o++) {
          out[((o * cin + i) * kh + y) * kw + x] = data[((y * kw + x) * cin + i) * cout + o]!;
        }
  return out;
}

export const conv2d: LayerConverter = {
  classNames: ['Conv2D'],
  convert(ctx) {
    const { g, layer } = ctx;
    const input = imageInput(ctx);
    const kernel = ctx.weight('kernel');
    const [kh, kw, cin, cout] = kernel.shape as [number, number, number, number];
    if (cin !== input.shape[2]) {
      throw new MaskEdgeError(
        'E_MODEL',
        `layer '${layer.name}': kernel expects ${cin} channels, input has ${input.shape[2]}`,
        {
          detail: { layer: layer.name, kernel: kernel.shape, input: input.shape },
        },
      );
    }
    const strides = pair(layer.config.strides, 1);
    const dilations = pair(layer.config.dilation_rate, 1);
    const plan = planWindow(ctx, [input.shape[0], input.shape[1]], [kh, kw], strides, dilations);
    const w = g.addInitializer(
      `${layer.name}_W`,
      'float32',
      [cout, cin, kh, kw],
      hwioToOihw(kernel.data, kh, kw, cin, cout),
    );
    const inputs = [input.name, w];
    if (layer.config.use_bias !== false && ctx.hasWeight('bias')) {
      inputs.push(g.addInitializer(`${layer.name}_B`, 'float32', [cout], ctx.weight('bias').data));
    }
    const y = g.op(
      'Conv',
      inputs,
      { kernel_shape: [kh, kw], strides, dilations, pads: plan.pads, group: 1 },
      layer.name,
    );
    return applyActivation(
      ctx,
      { name: y, shape: [plan.out[0], plan.out[1], cout] },
      layer.config.activation,
    );
  },
};
