/**
 * Dense: Gemm on [N, K] inputs. When the input is a flattened NCHW tensor, the kernel rows are permuted into
 * ONNX's C,H,W order (no activation transpose). Higher-rank inputs use MatMul + Add on the last axis.
 */
import { MaskEdgeError } from '../../../core/errors.js';
import { applyActivation } from './activation-functions.js';
import { toNhwc } from './layout.js';
import type { LayerConverter } from './types.js';

export const dense: LayerConverter = {
  classNames: ['Dense'],
  convert(ctx) {
    const { g, layer } = ctx;
    const input = ctx.inputs[0]!;
    const kernel = ctx.weight('kernel');
    const [k, units] = kernel.shape as [number, number];
    const last = input.shape[input.shape.length - 1];
    if (last !== k) {
      throw new MaskEdgeError(
        'E_MODEL',
        `layer '${layer.name}': kernel expects ${k} inputs, got [${input.shape}]`,
        {
          detail: { layer: layer.name, kernel: kernel.shape, input: input.shape },
        },
      );
    }
    const bias =
      layer.config.use_bias !== false && ctx.hasWeight('bias')
        ? ctx.weight('bias').data
        : new Float32Array(units);
    const b = g.addInitializer(`${layer.name}_B`, 'float32', [units], bias);
    if (input.shape.length === 1) {
      let w = kernel.data;
      if (input.flatOrder) {
        const order = input.flatOrder;
        w = new Float32Array(kernel.data.length);
        for (let row = 0; row < k; row++)
          w.set(kernel.data.subarray(order[row]! * units, (order[row]! + 1) * units), row * units);
      }
      const wName = g.addInitializer(`${layer.name}_W`, 'float32', [k, units], w);
      const y = g.op('Gemm', [input.name, wName, b], {}, layer.name);
      return applyActivation(ctx, { name: y, shape: [units] }, layer.config.activation);
    }
    const x = toNhwc(g, input);
    const wName = g.addInitializer(`${layer.name}_W`, 'float32', [k, units], kernel.data);
    let y = g.op('Add', [g.op('MatMul', [x, wName], {}, layer.name), b]);
    const shape = [...input.shape.slice(0, -1), units];
    if (shape.length === 3) y = g.op('Transpose', [y], { perm: [0, 3, 1, 2] });
    return applyActivation(ctx, { name: y, shape }, layer.config.activation);
  },
};
