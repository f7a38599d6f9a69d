/** Add, Average and Concatenate over tensors of the same layout. */
import { MaskEdgeError } from '../../../core/errors.js';
import { materialize, onnxAxis } from './layout.js';
import type { ConvertContext, LayerConverter, TensorRef } from './types.js';

export const add: LayerConverter = {
  classNames: ['Add'],
  convert: (ctx) => sum(ctx, 'Add'),
};

/** Average = the Add chain, then one Mul by 1/n (a scalar initializer; e.g. a student ensemble's mean logits). */
export const average: LayerConverter = {
  classNames: ['Average'],
  convert(ctx) {
    const total = sum(ctx, 'Average');
    const scale = ctx.g.addInitializer(`${ctx.layer.name}_scale`, 'float32', [], [1 / ctx.inputs.length]);
    return { name: ctx.g.op('Mul', [total.name, scale], {}, ctx.layer.name), shape: total.shape };
  },
};

function sum(ctx: ConvertContext, type: string): TensorRef {
  const { g, layer } = ctx;
  const inputs = ctx.inputs.map((r) => materialize(g, r));
  const first = inputs[0]!;
  for (const other of inputs) {
    if (other.shape.join() !== first.shape.join()) {
      throw new MaskEdgeError(
        'E_UNSUPPORTED',
        `layer '${layer.name}' (${type}) of shapes [${first.shape}] and [${other.shape}]`,
        {
          detail: { layer: layer.name, type, shapes: inputs.map((r) => r.shape) },
        },
      );
    }
  }
  let total = first.name;
  for (const other of inputs.slice(1)) total = g.op('Add', [total, other.name], {}, layer.name);
  return { name: total, shape: first.shape };
}

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
