/** Flatten (NCHW order kept, permutation recorded for the next Dense) and Reshape (through NHWC). */
import { MaskEdgeError } from '../../../core/errors.js';
import { toNhwc } from './layout.js';
import type { LayerConverter } from './types.js';

export const flatten: LayerConverter = {
  classNames: ['Flatten'],
  convert(ctx) {
    const { g, layer } = ctx;
    const input = ctx.inputs[0]!;
    if (input.shape.length === 1) return input;
    const size = input.shape.reduce((a, b) => a * b, 1);
    const y = g.op('Flatten', [input.name], { axis: 1 }, layer.name);
    if (input.shape.length !== 3) return { name: y, shape: [size] };
    const [h, w, c] = input.shape as [number, number, number];
    if (h * w === 1 || c === 1) return { name: y, shape: [size] };
    const flatOrder = new Int32Array(size);
    for (let ch = 0; ch < c; ch++)
      for (let row = 0; row < h; row++)
        for (let col = 0; col < w; col++) flatOrder[(ch * h + row) * w + col] = (row * w + col) * c + ch;
    return { name: y, shape: [size], flatOrder };
  },
};

export const reshape: LayerConverter = {
  classNames: ['Reshape'],
  convert(ctx) {
    const { g, layer } = ctx;
    const input = ctx.inputs[0]!;
    const target = (layer.config.target_shape as number[] | undefined) ?? [];
    const size = input.shape.reduce((a, b) => a * b, 1);
    const known = target.filter((d) => d !== -1 && d !== null).reduce((a, b) => a * b, 1);
    const resolved = target.map((d) => (d === -1 || d === null ? size / known : d));
    if (resolved.reduce((a, b) => a * b, 1) !== size || !resolved.every(Number.isInteger)) {
      throw new MaskEdgeError(
        'E_MODEL',
        `layer '${layer.name}' cannot reshape [${input.shape}] to [${target}]`,
        {
          detail: { layer: layer.name, input: input.shape, target },
        },
      );
    }
    const x = toNhwc(g, input);
    const shapeName = g.addInitializer(
      `${layer.name}_shape`,
      'int64',
      [resolved.length + 1],
      [-1, ...resolved],
    );
    let y = g.op('Reshape', [x, shapeName], {}, layer.name);
    if (resolved.length === 3) y = g.op('Transpose', [y], { perm: [0, 3, 1, 2] });
    return { name: y, shape: resolved };
  },
};
