import { MaskEdgeError } from '../../core/errors.js';
import { KD_METHODS, type KdMethod, type KdName } from './kd-method.js';
import { messyCollab } from './messy-collab.js';
import { noisyTeacher } from './noisy-teacher.js';
import { selfTraining } from './self-training.js';
import { vanilla } from './vanilla.js';

export * from './kd-method.js';
export { hintonLoss, softTargetKl, weightedCrossEntropy } from './losses.js';

const METHODS: Record<KdName, KdMethod> = {
  vanilla,
  'noisy-teacher': noisyTeacher,
  'self-training': selfTraining,
  'messy-collab': messyCollab,
};

/** Resolves `--kd a,b` into methods (rounds run in this order). */
export function kdRounds(names: string[]): KdMethod[] {
  return names.map((name) => {
    if (!(KD_METHODS as readonly string[]).includes(name)) {
      throw new MaskEdgeError('E_USAGE', `unknown --kd method "${name}"`, {
        detail: { kd: name, known: [...KD_METHODS] },
      });
    }
    return METHODS[name as KdName];
  });
}
