import { MaskEdgeError } from '../errors.js';
import { LABELS, type Label, labelFromAlias } from '../labels.js';

/** `--label-map NAME=LABEL` entries: a dataset's own label name mapped to a label, or to 'skip' (drop those faces). */
export type LabelMap = Readonly<Record<string, Label | 'skip'>>;

/** Faces (or files of unknown label folders) left out because their label name is unknown, by name. */
export interface SkippedLabels {
  /** How many faces/images were left out, all names together. */
  total: number;
  /** Count per label name as written in the data (annotation `<name>` or folder name). */
  byName: Record<string, number>;
}

const normalise = (name: string) => name.trim().toLowerCase();

/**
 * Parses repeatable `NAME=LABEL` options. LABEL is one of the labels, any known alias of one (e.g. `with_mask`),
 * or `skip`. NAME is matched case-insensitively. A malformed entry or an unknown LABEL is E_USAGE.
 */
export function parseLabelMap(entries: readonly string[] | undefined): LabelMap {
  const map: Record<string, Label | 'skip'> = {};
  for (const entry of entries ?? []) {
    const eq = entry.lastIndexOf('=');
    const name = eq > 0 ? normalise(entry.slice(0, eq)) : '';
    const target = eq > 0 ? normalise(entry.slice(eq + 1)) : '';
    if (!name || !target) {
      throw new MaskEdgeError('E_USAGE', `--label-map '${entry}' is not NAME=LABEL`, {
        detail: { labelMap: entry, expected: `NAME=${[...LABELS, 'skip'].join('|')}` },
      });
    }
    const label = target === 'skip' ? 'skip' : labelFromAlias(target);
    if (!label) {
      throw new MaskEdgeError('E_USAGE', `--label-map '${entry}': '${target}' is not a label`, {
        detail: { labelMap: entry, label: target, expected: [...LABELS, 'skip'] },
      });
    }
    map[name] = label;
  }
  return map;
}

/**
 * Turns the label names a dataset uses into labels: the user's --label-map first, then the built-in aliases
 * (LABEL_ALIASES). Unknown names are recorded with their counts; `finish()` then either throws E_DATA listing
 * every unknown name with how to map it, or (skipUnknown) returns what was skipped.
 */
export class LabelNames {
  private readonly unknown = new Map<string, { count: number; example: string }>();
  private readonly mappedSkips = new Map<string, number>();

  constructor(
    private readonly labelMap: LabelMap = {},
    private readonly skipUnknown = false,
  ) {}

  /**
   * The label for `name`; 'skip' when --label-map drops it; 'unknown' when no map or alias knows it. Both are
   * counted (`count` faces, e.g. the files of a label folder) and `path` is kept as an example.
   */
  resolve(name: string, path: string, count = 1): Label | 'skip' | 'unknown' {
    const key = normalise(name);
    const mapped = this.labelMap[key];
    if (mapped === 'skip') {
      this.mappedSkips.set(name, (this.mappedSkips.get(name) ?? 0) + count);
      return 'skip';
    }
    const label = mapped ?? labelFromAlias(key);
    if (label) return label;
    const seen = this.unknown.get(name) ?? { count: 0, example: path };
    seen.count += count;
    this.unknown.set(name, seen);
    return 'unknown';
  }

  /** Unknown names seen so far (name -> faces). */
  unknownNames(): Record<string, number> {
    return Object.fromEntries([...this.unknown].map(([n, v]) => [n, v.count]));
  }

  /** Throws E_DATA for unknown names unless skipping; returns the faces left out by name. */
  finish(): SkippedLabels {
    if (this.unknown.size > 0 && !this.skipUnknown) {
      const names = [...this.unknown].map(([n, v]) => `'${n}' (${v.count}, e.g. ${v.example})`);
      const first = [...this.unknown.keys()][0] ?? 'NAME';
      throw new MaskEdgeError(
        'E_DATA',
        `unknown label name${this.unknown.size > 1 ? 's' : ''} ${names.join(', ')}: map each with --label-map NAME=LABEL (LABEL: ${LABELS.join(', ')} or skip), e.g. --label-map '${first}=incorrect', or pass --skip-unknown-labels to leave those faces out (counted)`,
        {
          detail: {
            path: [...this.unknown.values()][0]?.example,
            unknownLabels: this.unknownNames(),
            labels: [...LABELS],
            example: `--label-map ${first}=${LABELS[1]}`,
          },
        },
      );
    }
    const byName: Record<string, number> = {};
    for (const [n, c] of this.mappedSkips) byName[n] = (byName[n] ?? 0) + c;
    for (const [n, v] of this.unknown) byName[n] = (byName[n] ?? 0) + v.count;
    return { total: Object.values(byName).reduce((a, b) => a + b, 0), byName };
  }
}
