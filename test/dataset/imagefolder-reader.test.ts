import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { readDataset, splitDataset } from '../../src/core/dataset/index.js';
import { isMaskEdgeError } from '../../src/core/errors.js';
import { tempDir, writeNumberedPhoto } from './dataset-fixtures.js';

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});
function temp(): string {
  const t = tempDir();
  cleanups.push(t.cleanup);
  return t.dir;
}

async function expectCode(promise: Promise<unknown>, code: string): Promise<Record<string, unknown>> {
  try {
    await promise;
  } catch (err) {
    expect(isMaskEdgeError(err)).toBe(true);
    expect((err as { code: string }).code).toBe(code);
    return (err as { detail: Record<string, unknown> }).detail;
  }
  throw new Error(`expected ${code}, nothing was thrown`);
}

describe('ImageFolder reader', () => {
  it('reads label folders by alias with no split', async () => {
    const dir = temp();
    let n = 0;
    for (const [folder, count] of [
      ['with_mask', 4],
      ['mask_weared_incorrect', 2],
      ['without_mask', 3],
    ] as const) {
      for (let i = 0; i < count; i++) await writeNumberedPhoto(join(dir, folder, `img${i}.jpg`), n++);
    }
    writeFileSync(join(dir, 'with_mask', 'notes.txt'), 'not an image');
    const { samples, problems } = await readDataset([dir]);
    const byLabel = (l: string) => samples.filter((s) => s.label === l).length;
    expect([byLabel('correct'), byLabel('incorrect'), byLabel('no_mask')]).toEqual([4, 2, 3]);
    expect(samples.every((s) => s.format === 'imagefolder' && s.split === undefined && !s.box)).toBe(true);
    expect(new Set(samples.map((s) => s.id)).size).toBe(9);
    expect(new Set(samples.map((s) => s.group)).size).toBe(9);
    expect(problems).toEqual([
      expect.objectContaining({ kind: 'ignored-file', path: join(dir, 'with_mask', 'notes.txt') }),
    ]);
  });

  it('keeps a preset train/val/test split and flags a photo copied across splits', async () => {
    const dir = temp();
    let n = 0;
    for (const split of ['train', 'val', 'test']) {
      for (const label of ['correct', 'no_mask']) {
        for (let i = 0; i < 2; i++)
          await writeNumberedPhoto(join(dir, split, label, `${label}${i}.png`), n++);
      }
    }
    // The same photo in train and test: a leak the reader must report.
    const leaked = await writeNumberedPhoto(join(dir, 'train', 'correct', 'leak.png'), 999);
    writeFileSync(join(dir, 'test', 'correct', 'leak-copy.png'), leaked);
    const { samples, problems } = await readDataset([dir]);
    expect(samples).toHaveLength(14);
    const splits = splitDataset(samples, { seed: 1 });
    expect(splits.train.every((s) => s.split === 'train')).toBe(true);
    expect([splits.train.length, splits.val.length, splits.test.length]).toEqual([5, 4, 5]);
    const dups = problems.filter((p) => p.kind === 'duplicate').map((p) => p.path);
    expect(dups.sort()).toEqual([
      join(dir, 'test', 'correct', 'leak-copy.png'),
      join(dir, 'train', 'correct', 'leak.png'),
    ]);
  });

  it('rejects an unknown label folder, naming it', async () => {
    const dir = temp();
    await writeNumberedPhoto(join(dir, 'correct', 'a.jpg'), 1);
    await writeNumberedPhoto(join(dir, 'sunglasses', 'b.jpg'), 2);
    const detail = await expectCode(readDataset([dir]), 'E_DATA');
    expect(detail.path).toBe(join(dir, 'sunglasses'));
  });

  it('rejects an unknown folder beside split folders', async () => {
    const dir = temp();
    await writeNumberedPhoto(join(dir, 'train', 'correct', 'a.jpg'), 1);
    await writeNumberedPhoto(join(dir, 'extra', 'correct', 'b.jpg'), 2);
    const detail = await expectCode(readDataset([dir]), 'E_DATA');
    expect(detail.path).toBe(join(dir, 'extra'));
  });

  it('rejects an empty folder, empty label folders and a missing folder', async () => {
    const empty = temp();
    expect((await expectCode(readDataset([empty]), 'E_DATA')).path).toBe(empty);
    const emptyLabels = temp();
    mkdirSync(join(emptyLabels, 'correct'));
    mkdirSync(join(emptyLabels, 'no_mask'));
    expect((await expectCode(readDataset([emptyLabels]), 'E_DATA')).path).toBe(emptyLabels);
    const missing = join(empty, 'nope');
    expect((await expectCode(readDataset([missing]), 'E_NOT_FOUND')).path).toBe(missing);
  });

  it('reports tiny whole-image faces under minFace and can drop them', async () => {
    const dir = temp();
    await writeNumberedPhoto(join(dir, 'correct', 'big.jpg'), 1); // 32 px
    const { samples, problems } = await readDataset([dir], { minFace: 40 });
    expect(samples).toHaveLength(1);
    expect(problems).toEqual([
      expect.objectContaining({ kind: 'tiny', path: join(dir, 'correct', 'big.jpg') }),
    ]);
    expect((await readDataset([dir], { minFace: 40, dropTiny: true })).samples).toHaveLength(0);
    expect((await readDataset([dir], { minFace: 32 })).problems).toHaveLength(0);
  });
});
