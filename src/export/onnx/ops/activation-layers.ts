/** Activation, ReLU (ReLU6 -> Clip), LeakyReLU, ELU and Softmax layers. */
import { MaskEdgeError } from '../../../core/errors.js';
import { Attr } from '../graph-builder.js';
import { applyActivation, clip, softmax } from './activation-functions.js';
import type { LayerConverter } from './types.js';

export const activationLayer: LayerConverter = {
  classNames: ['Activation'],
  convert: (ctx) => applyActivation(ctx, ctx.inputs[0]!, ctx.layer.config.activation),
};

export const reluLayer: LayerConverter = {
  classNames: ['ReLU'],
  convert(ctx) {
    const { g, layer } = ctx;
    const input = ctx.inputs[0]!;
    const max = layer.config.max_value;
    const slope = Number(layer.config.negative_slope ?? 0);
    const threshold = Number(layer.config.threshold ?? 0);
    if (slope !== 0 || threshold !== 0) {
      throw new MaskEdgeError(
        'E_UNSUPPORTED',
        `layer '${layer.name}' (ReLU) with negative_slope/threshold is not supported`,
        { detail: { layer: layer.name, type: 'ReLU', negative_slope: slope, threshold } },
      );
    }
    const name = typeof max === 'number' ? clip(g, input.name, 0, max) : g.op('Relu', [input.name]);
    return { ...input, name };
  },
};

export const leakyReluLayer: LayerConverter = {
  classNames: ['LeakyReLU'],
  convert(ctx) {
    const input = ctx.inputs[0]!;
    const alpha = Number(ctx.layer.config.alpha ?? 0.3);
    return { ...input, name: ctx.g.op('LeakyRelu', [input.name], { alpha: Attr.float(alpha) }) };
  },
};

export const eluLayer: LayerConverter = {
  classNames: ['ELU'],
  convert(ctx) {
    const input = ctx.inputs[0]!;
    const alpha = Number(ctx.layer.config.alpha ?? 1);
    return { ...input, name: ctx.g.op('Elu', [input.name], { alpha: Attr.float(alpha) }) };
  },
};

export const softmaxLayer: LayerConverter = {
  classNames: ['Softmax'],
  convert(ctx) {
    const axis = ctx.layer.config.axis;
    const a = Array.isArray(axis) ? axis : [axis ?? -1];
    if (a.length !== 1) {
      throw new MaskEdgeError('E_UNSUPPORTED', `layer '${ctx.layer.name}' (Softmax) over several axes`, {
        detail: { layer: ctx.layer.name, type: 'Softmax', axis },
      });
    }
    return softmax(ctx.g, ctx.inputs[0]!, Number(a[0]));
  },
};
