/** Layout helpers shared by the layer converters (NHWC tfjs semantics on NCHW ONNX tensors). */
import { MaskEdgeError } from '../../../core/errors.js';
import type { GraphBuilder } from '../graph-builder.js';
import type { ConvertContext, TensorRef } from './types.js';

/** tfjs axis (batch included, negatives allowed) -> ONNX axis for a tensor of this tfjs shape. */
export function onnxAxis(tfAxis: number, ref: TensorRef): number {
  const rank = ref.shape.length + 1;
  const a = tfAxis < 0 ? tfAxis + rank : tfAxis;
  if (rank === 4) return [0, 2, 3, 1][a]!;
  return a;
}

/** Returns a ref whose ONNX element order equals tfjs's for rank 1 (undoes a pending flatten permutation). */
export function materialize(g: GraphBuilder, ref: TensorRef): TensorRef {
  if (!ref.flatOrder) return ref;
  const position = new Int32Array(ref.flatOrder.length);
  ref.flatOrder.forEach((tfIndex, onnxIndex) => {
    position[tfIndex] = onnxIndex;
  });
  const indices = g.addInitializer(`${ref.name}_order`, 'int64', [position.length], Array.from(position));
  return { name: g.op('Gather', [ref.name, indices], { axis: 1 }), shape: ref.shape };
}

/** Puts a rank-3 (NCHW in ONNX) tensor into tfjs NHWC order; other ranks are already in order. */
export function toNhwc(g: GraphBuilder, ref: TensorRef): string {
  const plain = materialize(g, ref);
  return plain.shape.length === 3 ? g.op('Transpose', [plain.name], { perm: [0, 2, 3, 1] }) : plain.name;
}

export function pair(value: unknown, fallback: number): [number, number] {
  if (Array.isArray(value)) return [Number(value[0] ?? fallback), Number(value[1] ?? value[0] ?? fallback)];
  if (typeof value === 'number') return [value, value];
  return [fallback, fallback];
}

export interface SpatialPlan {
  out: [number, number];
  /** ONNX pads [top, left, bottom, right]. */
  pads: [number, number, number, number];
}

/** tfjs 'same'/'valid' padding for one 2-D window, as explicit ONNX pads (TF puts the odd pixel at the end). */
export function planWindow(
  ctx: ConvertContext,
  input: [number, number],
  kernel: [number, number],
  strides: [number, number],
  dilation: [number, number] = [1, 1],
): SpatialPlan {
  const padding = String(ctx.layer.config.padding ?? 'valid');
  if (padding !== 'same' && padding !== 'valid') {
    throw new MaskEdgeError(
      'E_UNSUPPORTED',
      `layer '${ctx.layer.name}' (${ctx.layer.className}) uses padding '${padding}'`,
      {
        detail: { layer: ctx.layer.name, type: ctx.layer.className, padding, expected: "'same' or 'valid'" },
      },
    );
  }
  const out: number[] = [];
  const before: number[] = [];
  const after: number[] = [];
  for (let i = 0; i < 2; i++) {
    const effective = (kernel[i]! - 1) * dilation[i]! + 1;
    const size = input[i]!;
    const o =
      padding === 'same' ? Math.ceil(size / strides[i]!) : Math.floor((size - effective) / strides[i]!) + 1;
    const total = padding === 'same' ? Math.max((o - 1) * strides[i]! + effective - size, 0) : 0;
    out.push(o);
    before.push(Math.floor(total / 2));
    after.push(total - Math.floor(total / 2));
  }
  if (out.some((o) => o <= 0)) {
    throw new MaskEdgeError('E_MODEL', `layer '${ctx.layer.name}' shrinks its [${input}] input to nothing`, {
      detail: { layer: ctx.layer.name, input, kernel, strides },
    });
  }
  return {
    out: [out[0]!, out[1]!],
    pads: [before[0]!, before[1]!, after[0]!, after[1]!],
  };
}

/** The single input of a layer that must have a rank-3 (H, W, C) tensor. */
export function imageInput(ctx: ConvertContext): TensorRef & { shape: [number, number, number] } {
  const input = ctx.inputs[0]!;
  if (input.shape.length !== 3) {
    throw new MaskEdgeError(
      'E_UNSUPPORTED',
      `layer '${ctx.layer.name}' (${ctx.layer.className}) expects an (H, W, C) input, got [${input.shape}]`,
      { detail: { layer: ctx.layer.name, type: ctx.layer.className, shape: input.shape } },
    );
  }
  if (ctx.layer.config.data_format === 'channels_first') {
    throw new MaskEdgeError('E_UNSUPPORTED', `layer '${ctx.layer.name}' uses data_format channels_first`, {
      detail: { layer: ctx.layer.name, type: ctx.layer.className },
    });
  }
  return input as TensorRef & { shape: [number, number, number] };
}
