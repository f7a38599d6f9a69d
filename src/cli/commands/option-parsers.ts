import { type Command, InvalidArgumentError } from 'commander';

/** Commander parsers that reject bad values with the offending text. */
export function parseInteger(name: string, min = Number.MIN_SAFE_INTEGER, max = Number.MAX_SAFE_INTEGER) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < min || n > max) {
      throw new InvalidArgumentError(`${name} must be an integer in [${min}, ${max}], got '${value}'`);
    }
    return n;
  };
}

export function parseNumber(name: string, min = -Infinity, max = Infinity) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isFinite(n) || n < min || n > max) {
      throw new InvalidArgumentError(`${name} must be a number in [${min}, ${max}], got '${value}'`);
    }
    return n;
  };
}

/** `--tile-above-scale X`: 0 (never tile) or a frame-to-input scale above 1 (eval, train-verifier). */
export function parseTileAboveScale(value: string): number {
  const n = Number(value);
  if (!(Number.isFinite(n) && (n === 0 || (n > 1 && n <= 100)))) {
    throw new InvalidArgumentError(
      `--tile-above-scale must be 0 (never) or above 1 (at most 100), got '${value}'`,
    );
  }
  return n;
}

/** Repeatable option: `--data a --data b` gives ['a', 'b']. */
export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

/** Comma list: `--teacher a,b` gives ['a', 'b']. */
export function commaList(value: string): string[] {
  return value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

/** `--label-map NAME=LABEL` (repeatable) and `--skip-unknown-labels`, for every command that reads datasets. */
export function addLabelOptions<T extends { option: Command['option'] }>(command: T): T {
  command.option(
    '--label-map <name=label>',
    "map a dataset's own label name (annotation <name> or folder) to correct, incorrect, no_mask or skip; repeatable (common spellings such as with_incorrect_mask are known already)",
    collect,
  );
  command.option(
    '--skip-unknown-labels',
    'leave faces with an unknown label name out (counted and reported) instead of stopping with E_DATA',
  );
  return command;
}

/**
 * `--data DIR` (repeatable) and `--convention NAME` (one per --data, in order): annotated photo folders and the
 * box convention each was drawn in, for the commands that train on face boxes (train-verifier, train-detector).
 */
export function addAnnotatedDataOptions<T extends { option: Command['option'] }>(command: T): T {
  command.option(
    '--data <dir>',
    'Pascal VOC photo folder with face boxes; repeatable (split by photo as train does)',
    collect,
  );
  command.option(
    '--convention <name>',
    'box convention of each --data folder, in order (kaggle or ilc; default: ilc for a folder named *ilc*, else kaggle)',
    collect,
  );
  return command;
}
