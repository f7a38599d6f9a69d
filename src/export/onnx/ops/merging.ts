/** Add and Concatenate over tensors of the same layout. */
import { MaskEdgeError } from '../../../core/errors.js';
import { materialize, onnxAxis } from './layout.js';
import type { LayerConverter } from './types.js';

export const add: LayerConverter = {
  classNames: ['Add'],
  convert(ctx) {
    const { g, layer } = ctx;
    const inputs = ctx.inputs.map((r) => materialize(g, r));
    const first = inputs[0]!;
    for (const other of inputs) {
      if (other.shape.join() !== first.shape.join()) {
        throw new MaskEdgeError(
          'E_UNSUPPORTED',
          `layer '${layer.name}' (Add) of shapes [${first.shape}] and [${other.shape}]`,
          {
            detail: { layer: layer.name, type: 'Add', shapes: inputs.map((r) => r.shape) },
          },
        );
      }
    }
    let sum = first.name;
    for (const other of inputs.slice(1)) sum = g.op('Add', [sum, other.name], {}, layer.name);
    return { name: sum, shape: first.shape };
  },
};

export const concatenate: LayerConverter = {
  classNames: ['Concatenate'],
  convert(ctx) {
    const { g, layer } = ctx;
    const inputs = ctx.inputs.map((r) => materialize(g, r));
    const first = inputs[0]!;
    const rank = first.shape.length + 1;
    const raw = Number(layer.config.axis ?? -1);
    const tfAxis = raw < 0 ? raw + rank : raw;
    if (tfAxis === 0 || inputs.some((r) => r.shape.length !== first.shape.length)) {
      throw new MaskEdgeError(
        'E_UNSUPPORTED',
        `layer '${layer.name}' (Concatenate) on axis ${raw} of [${first.shape}]`,
        {
          detail: { layer: layer.name, type: 'Concatenate', axis: raw },
        },
      );
    }
    const shape = [...first.shape];
    shape[tfAxis - 1] = inputs.reduce((s, r) => s + r.shape[tfAxis - 1]!, 0);
    const y = g.op(
      'Concat',
      inputs.map((r) => r.name),
      { axis: onnxAxis(tfAxis, first) },
      layer.name,
    );
    return { name: y, shape };
  },
};
