import {
  type DataProblem,
  loadCrops,
  type MfnPolicy,
  parseLabelMap,
  readDataset,
} from '../../core/dataset/index.js';
import { ProgressReporter } from '../../core/progress.js';
import { type DatasetSummary, formatCountsTable, summariseDataset } from './dataset-summary.js';

export interface DataInspectOptions {
  dirs: string[];
  minFace?: number;
  seed?: number;
  json?: boolean;
  mfnNoseMouth?: MfnPolicy['noseMouth'];
  /** Decode every photo to find unreadable/truncated files (default true; false = only read bytes and headers). */
  decode?: boolean;
  /** Where the report goes (stdout by default; tests pass a collector). */
  out?: { write(text: string): unknown };
  /** --label-map NAME=LABEL entries. */
  labelMap?: string[];
  /** Leave faces with unknown label names out (counted) instead of failing with E_DATA. */
  skipUnknownLabels?: boolean;
}

const SHOWN_PER_KIND = 5;

/**
 * `mask-edge data inspect DIR...`: faces per split and label, and problems: unreadable or truncated photos
 * (found by decoding each photo once), tiny faces under --min-face, byte-identical photos across splits,
 * plus everything the readers report (unknown labels, images without annotations, ...).
 */
export async function run(options: DataInspectOptions): Promise<DatasetSummary> {
  const { dirs, minFace = 24, seed = 1, json = false, decode = true } = options;
  const out = options.out ?? process.stdout;
  const { samples, problems, nearDuplicates, skippedLabels } = await readDataset(dirs, {
    minFace,
    labelMap: parseLabelMap(options.labelMap),
    skipUnknownLabels: options.skipUnknownLabels === true,
    ...(options.mfnNoseMouth ? { mfnPolicy: { noseMouth: options.mfnNoseMouth } } : {}),
  });
  const all: DataProblem[] = [...problems];
  if (decode) {
    const progress = new ProgressReporter({ total: samples.length, label: 'decoding photos' });
    const loaded = await loadCrops(samples, { size: 8, onProgress: (done) => progress.update(done) });
    progress.finish();
    // A photo whose header was already unreadable is reported once.
    const seen = new Set(all.map((p) => `${p.kind}\n${p.path}`));
    all.push(...loaded.problems.filter((p) => !seen.has(`${p.kind}\n${p.path}`)));
  }
  const { summary } = summariseDataset(dirs, samples, all, seed, nearDuplicates);
  // Byte-identical photos across splits can only come from preset split folders: readDataset reports those.
  if (json) out.write(`${JSON.stringify({ ...summary, skippedLabels }, null, 2)}\n`);
  else {
    out.write(formatReport(summary, minFace));
    if (skippedLabels.total > 0)
      out.write(
        `faces left out for their label name: ${skippedLabels.total} ${JSON.stringify(skippedLabels.byName)}\n`,
      );
  }
  return summary;
}

function formatReport(summary: DatasetSummary, minFace: number): string {
  const lines: string[] = [];
  for (const s of summary.sources) {
    lines.push(
      `${s.path}: ${s.formats.join('+')}, ${s.photos} photos, ${s.faces} faces${s.synthetic > 0 ? `, ${s.synthetic} synthetic (train only)` : s.presetSplit ? ', preset train/val/test' : ''}`,
    );
  }
  lines.push(
    summary.split === 'preset'
      ? 'split: preset folders'
      : `split: ${summary.split === 'mixed' ? 'preset folders plus ' : ''}seeded 70/15/15 by photo (seed ${summary.seed})`,
  );
  lines.push('', formatCountsTable(summary), '');
  const { near } = summary.duplicates;
  lines.push(
    `duplicate photo sets (same bytes or near copies, each kept in one split): ${summary.duplicates.sets} ` +
      `(near copies: ${near.length}), across splits: ${summary.duplicates.crossSplit.length}`,
  );
  for (const n of near.slice(0, SHOWN_PER_KIND)) {
    lines.push(
      `  near copies (hash distance <= ${n.maxDistance}/256, ${n.splits.join('+')}): ${n.paths.join(', ')}`,
    );
  }
  if (near.length > SHOWN_PER_KIND)
    lines.push(`  ... ${near.length - SHOWN_PER_KIND} more (--json lists all)`);
  if (summary.syntheticDropped > 0) {
    lines.push(
      `synthetic faces left out (their real photo is in val/test, or its source is not read): ${summary.syntheticDropped}`,
    );
  }
  const kinds = Object.keys(summary.problemCounts).sort();
  if (kinds.length === 0) lines.push('problems: none');
  for (const kind of kinds) {
    const list = summary.problems.filter((p) => p.kind === kind);
    const note = kind === 'tiny' ? ` (faces under ${minFace} px)` : '';
    lines.push(`${kind}: ${list.length}${note}`);
    for (const p of list.slice(0, SHOWN_PER_KIND)) lines.push(`  ${p.path}: ${p.message}`);
    if (list.length > SHOWN_PER_KIND)
      lines.push(`  ... ${list.length - SHOWN_PER_KIND} more (--json lists all)`);
  }
  return `${lines.join('\n')}\n`;
}
