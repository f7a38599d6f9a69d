import * as tf from '@tensorflow/tfjs';
import { MaskEdgeError } from '../../core/errors.js';

/**
 * One flat tfjs model that averages the logits of several chain-shaped CNNs fed the same input (a student
 * ensemble). Each member's layers are rebuilt from their configs under a `m<i>_` prefix and given the member's
 * weights, so the result holds no nested models and exports to ONNX like any student (Average -> Add + Mul).
 */
export function averageModels(members: tf.LayersModel[], name = 'student_ensemble'): tf.LayersModel {
  if (members.length < 2) {
    throw new MaskEdgeError('E_USAGE', `an ensemble needs at least 2 models, got ${members.length}`, {
      detail: { members: members.length },
    });
  }
  const inputShape = members[0]!.inputs[0]!.shape;
  for (const m of members) {
    if (m.inputs[0]!.shape.join() !== inputShape.join()) {
      throw new MaskEdgeError('E_MODEL', 'ensemble members take different input shapes', {
        detail: { shapes: members.map((x) => x.inputs[0]!.shape) },
      });
    }
  }
  const input = tf.input({ shape: inputShape.slice(1) as number[], name: 'input' });
  const copies: { layer: tf.layers.Layer; weights: tf.Tensor[] }[] = [];
  const outputs = members.map((member, i) => {
    let x: tf.SymbolicTensor = input;
    for (const layer of member.layers) {
      if (layer.getClassName() === 'InputLayer') continue;
      const single = layer.inboundNodes.length === 1 && layer.inboundNodes[0]!.inboundLayers.length === 1;
      if (!single) {
        throw new MaskEdgeError(
          'E_UNSUPPORTED',
          `ensemble member ${member.name}: layer ${layer.name} is not part of a single chain`,
          { detail: { model: member.name, layer: layer.name } },
        );
      }
      const config = { ...layer.getConfig(), name: `m${i + 1}_${layer.name}` };
      const copy = rebuild(layer.getClassName(), config);
      x = copy.apply(x) as tf.SymbolicTensor;
      copies.push({ layer: copy, weights: layer.getWeights() });
    }
    return x;
  });
  const mean = tf.layers.average({ name: 'ensemble_mean' }).apply(outputs) as tf.SymbolicTensor;
  const model = tf.model({ inputs: input, outputs: mean, name });
  for (const { layer, weights } of copies) layer.setWeights(weights);
  return model;
}

/** A new layer of a registered tfjs class from its (serialised) config. */
function rebuild(className: string, config: tf.serialization.ConfigDict): tf.layers.Layer {
  const entry = tf.serialization.SerializationMap.getMap().classNameMap[className];
  if (!entry) {
    throw new MaskEdgeError('E_UNSUPPORTED', `ensemble: unknown layer class ${className}`, {
      detail: { className },
    });
  }
  const [cls, fromConfig] = entry;
  return fromConfig(cls, config) as unknown as tf.layers.Layer;
}
