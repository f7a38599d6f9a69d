import * as tf from '@tensorflow/tfjs';

/**
 * Training-mode forward pass over a chain model (buildCnn / buildFeatureHead), op by op with the layers' own
 * weights. It exists for speed: BatchNorm here has a fused gradient (3 reductions instead of tfjs's
 * tile/moments chain, which dominated a wasm training step). Moving statistics are updated like tfjs-layers'
 * BatchNormalization (momentum). Layers it does not know fall back to layer.apply(x, { training: true }).
 */
interface BnStash {
  layer: tf.layers.Layer;
  mean: tf.Tensor;
  variance: tf.Tensor;
}

/**
 * Synchronised BatchNorm for data-parallel replicas (parallel/): per-channel sums are added over every replica,
 * so each replica normalises with the whole batch's statistics and its gradient is its exact share of the
 * whole batch's gradient. Without it, BatchNorm uses each replica's own shard.
 */
export interface BatchNormSync {
  /** Sum of a per-channel tensor over every replica (blocking). */
  allReduce(local: tf.Tensor1D): tf.Tensor1D;
  /** Rows of the whole batch, over all replicas. */
  totalRows: number;
}

/** Per-channel sum over all other axes. */
function channelSum(x: tf.Tensor): tf.Tensor1D {
  return tf.sum(x, x.rank === 4 ? [0, 1, 2] : [0]);
}

function batchNormTrain(
  x: tf.Tensor,
  gamma: tf.Tensor,
  beta: tf.Tensor,
  epsilon: number,
  stash: BnStash[],
  layer: tf.layers.Layer,
  sync?: BatchNormSync,
): tf.Tensor {
  const channels = x.shape[x.rank - 1]!;
  const count = sync ? (x.size / channels / x.shape[0]!) * sync.totalRows : x.size / channels;
  const total = (t: tf.Tensor1D) => (sync ? sync.allReduce(t) : t);
  const f = tf.customGrad((...args: unknown[]) => {
    const [xi, g, b] = args as [tf.Tensor, tf.Tensor, tf.Tensor];
    const save = args[3] as (tensors: tf.Tensor[]) => void;
    const mean = tf.div(total(channelSum(xi)), count);
    const centered = tf.sub(xi, mean);
    const variance = tf.div(total(channelSum(tf.square(centered))), count);
    const rstd = tf.rsqrt(tf.add(variance, epsilon));
    const xhat = tf.mul(centered, rstd);
    stash.push({ layer, mean: tf.keep(mean.clone()), variance: tf.keep(variance.clone()) });
    save([xhat, rstd, g]);
    return {
      value: tf.add(tf.mul(xhat, g), b),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [sxhat, srstd, sg] = saved as [tf.Tensor, tf.Tensor, tf.Tensor];
        const dbeta = channelSum(dy);
        const dgamma = channelSum(tf.mul(dy, sxhat));
        // dx needs the whole batch's sums; gamma and beta get this replica's share (the caller adds them up).
        const both = sync ? sync.allReduce(tf.concat([dbeta, dgamma])) : undefined;
        const dbetaAll = both ? tf.slice(both, 0, channels) : dbeta;
        const dgammaAll = both ? tf.slice(both, channels, channels) : dgamma;
        const inner = tf.sub(tf.sub(dy, tf.div(dbetaAll, count)), tf.mul(sxhat, tf.div(dgammaAll, count)));
        return [tf.mul(inner, tf.mul(srstd, sg)), dgamma, dbeta];
      },
    };
  });
  return f(x, gamma, beta);
}

function weight(layer: tf.layers.Layer, suffix: string): tf.Tensor | undefined {
  return layer.weights.find((w) => w.originalName.endsWith(suffix))?.read();
}

/** Forward in training mode; call `updateMovingStats` after the step with the returned stash. */
export function trainingForward(
  model: tf.LayersModel,
  x: tf.Tensor,
  stash: BnStash[],
  sync?: BatchNormSync,
): tf.Tensor {
  let out = x;
  for (const layer of model.layers) {
    const config = layer.getConfig() as Record<string, unknown>;
    switch (layer.getClassName()) {
      case 'InputLayer':
        break;
      case 'Conv2D': {
        out = tf.conv2d(
          out as tf.Tensor4D,
          weight(layer, 'kernel') as tf.Tensor4D,
          config.strides as [number, number],
          config.padding as 'same' | 'valid',
        );
        const bias = config.useBias ? weight(layer, 'bias') : undefined;
        if (bias) out = tf.add(out, bias);
        break;
      }
      case 'BatchNormalization':
        out = batchNormTrain(
          out,
          weight(layer, 'gamma')!,
          weight(layer, 'beta')!,
          config.epsilon as number,
          stash,
          layer,
          sync,
        );
        break;
      case 'LeakyReLU':
        out = tf.leakyRelu(out, config.alpha as number);
        break;
      case 'MaxPooling2D':
        out = tf.maxPool(
          out as tf.Tensor4D,
          config.poolSize as [number, number],
          config.strides as [number, number],
          config.padding as 'same' | 'valid',
        );
        break;
      case 'GlobalAveragePooling2D':
        out = tf.mean(out, [1, 2]);
        break;
      case 'Dense': {
        if (config.activation !== 'linear') return layer.apply(out, { training: true }) as tf.Tensor;
        out = tf.matMul(out as tf.Tensor2D, weight(layer, 'kernel') as tf.Tensor2D);
        const bias = config.useBias ? weight(layer, 'bias') : undefined;
        if (bias) out = tf.add(out, bias);
        break;
      }
      default:
        out = layer.apply(out, { training: true }) as tf.Tensor;
    }
  }
  return out;
}

/** moving = moving * momentum + batch * (1 - momentum), as tfjs-layers does; disposes the stash. */
export function updateMovingStats(stash: BnStash[]): void {
  tf.tidy(() => {
    for (const { layer, mean, variance } of stash) {
      const momentum = (layer.getConfig() as { momentum: number }).momentum;
      const movingMean = layer.weights.find((w) => w.originalName.endsWith('moving_mean'))!;
      const movingVar = layer.weights.find((w) => w.originalName.endsWith('moving_variance'))!;
      movingMean.write(tf.add(tf.mul(movingMean.read(), momentum), tf.mul(mean, 1 - momentum)));
      movingVar.write(tf.add(tf.mul(movingVar.read(), momentum), tf.mul(variance, 1 - momentum)));
    }
  });
  for (const s of stash) tf.dispose([s.mean, s.variance]);
  stash.length = 0;
}
