import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ModelOutcome } from './context.js';

/**
 * Completed phases of a run (RUN/checkpoint/phases/<name>.json + its saved model folder), so `--resume` skips
 * finished teachers/students and continues the interrupted one from its own trainer checkpoint.
 */
export class PhaseStore {
  constructor(private readonly root: string) {}

  modelDir(name: string): string {
    return join(this.root, 'phases', name);
  }

  async load(name: string): Promise<ModelOutcome | undefined> {
    const path = join(this.root, 'phases', `${name}.json`);
    if (!existsSync(path)) return undefined;
    const raw = JSON.parse(await readFile(path, 'utf8')) as ModelOutcome & {
      logits: Record<string, number[]>;
    };
    const logits = Object.fromEntries(Object.entries(raw.logits).map(([k, v]) => [k, Float32Array.from(v)]));
    return { ...raw, logits: logits as ModelOutcome['logits'] };
  }

  async save(outcome: ModelOutcome, key = outcome.name): Promise<void> {
    await mkdir(join(this.root, 'phases'), { recursive: true });
    const logits = Object.fromEntries(Object.entries(outcome.logits).map(([k, v]) => [k, Array.from(v)]));
    await writeFile(join(this.root, 'phases', `${key}.json`), JSON.stringify({ ...outcome, logits }));
  }
}
