/**
 * The box convention of each annotated --data folder (train-verifier, train-detector): given in order with
 * --convention, else `ilc` for a folder named *ilc* and `kaggle` otherwise. Unknown names and a count that does not
 * match --data are E_USAGE.
 */
import { basename, resolve } from 'node:path';
import { MaskEdgeError } from '../core/errors.js';
import { VERIFIER_CONVENTIONS, type VerifierConvention } from '../core/face-verifier-spec.js';

export function conventionsFor(data: string[], given: string[] = []): VerifierConvention[] {
  if (given.length > 0 && given.length !== data.length) {
    throw new MaskEdgeError(
      'E_USAGE',
      `--convention given ${given.length} times for ${data.length} --data folders`,
      {
        detail: { option: '--convention', given, data },
      },
    );
  }
  return data.map((dir, i) => {
    const name = given[i] ?? (/ilc/i.test(basename(resolve(dir))) ? 'ilc' : 'kaggle');
    if (!(VERIFIER_CONVENTIONS as readonly string[]).includes(name)) {
      throw new MaskEdgeError('E_USAGE', `unknown box convention '${name}'`, {
        detail: { option: '--convention', value: name, known: VERIFIER_CONVENTIONS },
      });
    }
    return name as VerifierConvention;
  });
}
