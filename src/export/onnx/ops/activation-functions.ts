/** tfjs activation names (the `activation` option of Conv2D/Dense/Activation layers) as ONNX ops. */
import { MaskEdgeError } from '../../../core/errors.js';
import { Attr, type GraphBuilder } from '../graph-builder.js';
import { onnxAxis } from './layout.js';
import type { ConvertContext, TensorRef } from './types.js';

export function clip(g: GraphBuilder, x: string, min: number, max: number): string {
  const lo = g.addInitializer('clip_min', 'float32', [], [min]);
  const hi = g.addInitializer('clip_max', 'float32', [], [max]);
  return g.op('Clip', [x, lo, hi]);
}

export function softmax(g: GraphBuilder, ref: TensorRef, tfAxis: number): TensorRef {
  const axis = onnxAxis(tfAxis, ref);
  // A pending flatten permutation only reorders the softmax axis of a rank-1 tensor: keep it.
  return { ...ref, name: g.op('Softmax', [ref.name], { axis }) };
}

/** Applies a named activation elementwise (or softmax over the last axis); 'linear' returns the input. */
export function applyActivation(ctx: ConvertContext, ref: TensorRef, activation: unknown): TensorRef {
  const g = ctx.g;
  const name = typeof activation === 'string' ? activation : 'linear';
  const unary = (op: string, attrs = {}): TensorRef => ({ ...ref, name: g.op(op, [ref.name], attrs) });
  switch (name) {
    case 'linear':
      return ref;
    case 'relu':
      return unary('Relu');
    case 'relu6':
      return { ...ref, name: clip(g, ref.name, 0, 6) };
    case 'sigmoid':
      return unary('Sigmoid');
    case 'tanh':
      return unary('Tanh');
    case 'elu':
      return unary('Elu', { alpha: Attr.float(1) });
    case 'softplus':
      return unary('Softplus');
    case 'hard_sigmoid':
    case 'hardSigmoid':
      return unary('HardSigmoid', { alpha: Attr.float(0.2), beta: Attr.float(0.5) });
    case 'swish': {
      const s = g.op('Sigmoid', [ref.name]);
      return { ...ref, name: g.op('Mul', [ref.name, s]) };
    }
    case 'softmax':
      return softmax(g, ref, -1);
    default:
      throw new MaskEdgeError(
        'E_UNSUPPORTED',
        `layer '${ctx.layer.name}' (${ctx.layer.className}) uses unsupported activation '${name}'`,
        { detail: { layer: ctx.layer.name, type: ctx.layer.className, activation: name } },
      );
  }
}
