import type * as tf from '@tensorflow/tfjs';
import { loadModel } from '../io/file-io-handler.js';
import { countParameters } from '../models/cnn.js';
import { averageModels } from '../models/ensemble.js';
import { imageModelLogits } from '../teachers/teacher-zoo.js';
import type { ModelOutcome, RunContext } from './context.js';

/**
 * The student ensemble: every student CNN of the run (distilled or not, same input size) merged into one flat
 * model whose logits are the members' mean. It competes with the single students on validation like any
 * candidate; at the edge it costs one classifier pass per member (tiny next to the face detector).
 */
export async function trainStudentEnsemble(
  name: string,
  members: { outcome: ModelOutcome; dir: string }[],
  ctx: RunContext,
): Promise<{ outcome: ModelOutcome; model: tf.LayersModel }> {
  const started = Date.now();
  const loaded = await Promise.all(members.map((m) => loadModel(m.dir)));
  const model = averageModels(loaded);
  for (const m of loaded) m.dispose();
  const crops = await ctx.cropsAt(ctx.studentSize);
  const { logits, imagesPerSec } = await imageModelLogits(model, crops, ctx);
  const names = members.map((m) => m.outcome.name);
  return {
    model,
    outcome: {
      name,
      description: `mean logits of ${members.length} student CNNs (${names.join(', ')}), exported as one model`,
      parameters: countParameters(model),
      logits,
      history: [],
      // members' training time + merging
      wallTimeSec: members.reduce((s, m) => s + m.outcome.wallTimeSec, 0) + (Date.now() - started) / 1000,
      imagesPerSec,
    },
  };
}
