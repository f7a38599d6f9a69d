import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { FaceSample } from '../../src/core/dataset/index.js';
import { splitDataset } from '../../src/core/dataset/index.js';
import { isMaskEdgeError } from '../../src/core/errors.js';
import { selectSamples } from '../../src/edge/eval/sample-selection.js';
import { tempDir } from '../inference/tiny-models.js';

const sample = (id: string, split?: 'train' | 'val' | 'test'): FaceSample => ({
  id,
  path: `/p/${id}.jpg`,
  label: 'correct',
  group: id,
  format: 'imagefolder',
  source: '/p',
  ...(split ? { split } : {}),
});
const samples = [sample('a', 'train'), sample('b', 'test'), sample('c', 'test'), sample('d')];
const dir = tempDir('mask-edge-split-');

async function code(p: Promise<unknown>): Promise<string | undefined> {
  try {
    await p;
  } catch (err) {
    return isMaskEdgeError(err) ? err.code : 'other';
  }
  return undefined;
}

describe('selectSamples', () => {
  it('--seed splits all samples as training does and takes --split (default test); not with --split-file', async () => {
    const many = Array.from(
      { length: 40 },
      (_, i) => ({ ...sample(`s${i}`), label: i % 3 ? 'correct' : 'no_mask' }) as FaceSample,
    );
    const expected = splitDataset(many, { seed: 7 });
    const test = await selectSamples(many, { seed: 7 });
    expect(test.samples.map((s) => s.id)).toEqual(expected.test.map((s) => s.id));
    expect(test.note).toContain('seed 7');
    const train = await selectSamples(many, { seed: 7, split: 'train' });
    expect(train.samples.map((s) => s.id)).toEqual(expected.train.map((s) => s.id));
    expect(await code(selectSamples(many, { seed: 7, splitFile: dir }))).toBe('E_USAGE');
  });

  it('takes all, a preset split, or a split listed in a run split.json (file or run folder)', async () => {
    expect((await selectSamples(samples, {})).samples).toHaveLength(4);
    expect((await selectSamples(samples, { split: 'test' })).samples.map((s) => s.id)).toEqual(['b', 'c']);
    const run = join(dir, 'run');
    mkdirSync(run, { recursive: true });
    writeFileSync(
      join(run, 'split.json'),
      JSON.stringify({ train: ['a', 'b', 'gone-train'], val: [], test: ['d', 'gone'] }),
    );
    const held = await selectSamples(samples, { splitFile: run });
    expect(held.samples.map((s) => s.id)).toEqual(['d']);
    // Only the requested split's missing ids are counted.
    expect(held.note).toMatch(/1 'test' ids not found/);
    const train = await selectSamples(samples, { splitFile: join(run, 'split.json'), split: 'train' });
    expect(train.samples.map((s) => s.id)).toEqual(['a', 'b']);
  });

  it('bad split inputs raise coded errors', async () => {
    expect(await code(selectSamples(samples, { splitFile: join(dir, 'none.json') }))).toBe('E_NOT_FOUND');
    writeFileSync(join(dir, 'bad.json'), '{ not json');
    expect(await code(selectSamples(samples, { splitFile: join(dir, 'bad.json') }))).toBe('E_DATA');
    writeFileSync(join(dir, 'shape.json'), '{"folds": []}');
    expect(await code(selectSamples(samples, { splitFile: join(dir, 'shape.json') }))).toBe('E_DATA');
    writeFileSync(join(dir, 'other.json'), '{"test": ["zzz"]}');
    expect(await code(selectSamples(samples, { splitFile: join(dir, 'other.json') }))).toBe('E_DATA');
    expect(await code(selectSamples(samples, { split: 'val' }))).toBe('E_DATA');
  });
});
