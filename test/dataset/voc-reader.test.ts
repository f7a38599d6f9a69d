import { copyFileSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { readDataset, resolveVocImage, splitDataset } from '../../src/core/dataset/index.js';
import { isMaskEdgeError } from '../../src/core/errors.js';
import { tempDir, writePhoto, writeVocXml } from './dataset-fixtures.js';

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});

const SIZE = { width: 64, height: 48 };

/** VOC set: p1 (2 faces, XML says .png but disk has .jpg), p2 (1 face + unknown name), p3 = byte copy of p1. */
async function vocFixture(): Promise<string> {
  const t = tempDir();
  cleanups.push(t.cleanup);
  const dir = t.dir;
  await writePhoto(join(dir, 'images', 'p1.jpg'), { ...SIZE });
  await writePhoto(join(dir, 'images', 'p2.png'), { ...SIZE, background: [200, 10, 10] });
  copyFileSync(join(dir, 'images', 'p1.jpg'), join(dir, 'images', 'p3.jpg'));
  writeVocXml(join(dir, 'annotations', 'p1.xml'), 'p1.png', SIZE, [
    { name: 'with_mask', box: { x: 2, y: 3, width: 20, height: 20 } },
    { name: 'without_mask', box: { x: 30, y: 10, width: 16, height: 18 } },
  ]);
  writeVocXml(join(dir, 'annotations', 'p2.xml'), 'p2.png', SIZE, [
    { name: 'mask_weared_incorrect', box: { x: 5, y: 5, width: 30, height: 30 } },
    { name: 'helmet', box: { x: 1, y: 1, width: 5, height: 5 } },
  ]);
  writeVocXml(join(dir, 'annotations', 'p3.xml'), 'p3.jpg', SIZE, [
    { name: 'with_mask', box: { x: 2, y: 3, width: 20, height: 20 } },
  ]);
  return dir;
}

describe('Pascal VOC reader', () => {
  it('reads every box as a face with its mapped label, resolving a changed extension', async () => {
    const dir = await vocFixture();
    const { samples, problems, skippedLabels } = await readDataset([dir], { skipUnknownLabels: true });
    expect(skippedLabels).toEqual({ total: 1, byName: { helmet: 1 } });
    expect(samples.map((s) => [s.path.slice(dir.length + 1), s.label, s.box])).toEqual([
      ['images/p1.jpg', 'correct', { x: 2, y: 3, width: 20, height: 20 }],
      ['images/p1.jpg', 'no_mask', { x: 30, y: 10, width: 16, height: 18 }],
      ['images/p2.png', 'incorrect', { x: 5, y: 5, width: 30, height: 30 }],
      ['images/p3.jpg', 'correct', { x: 2, y: 3, width: 20, height: 20 }],
    ]);
    expect(samples.every((s) => s.format === 'voc')).toBe(true);
    expect(new Set(samples.map((s) => s.id)).size).toBe(4);
    expect(problems).toEqual([
      expect.objectContaining({ kind: 'unknown-label', path: join(dir, 'annotations', 'p2.xml') }),
    ]);
    // exact duplicate photos share one group; different photos do not
    const group = (name: string) => samples.find((s) => s.path.endsWith(name))?.group;
    expect(group('p1.jpg')).toBe(group('p3.jpg'));
    expect(group('p1.jpg')).not.toBe(group('p2.png'));
  });

  it('reports an image without annotation, an annotation without image, and broken XML', async () => {
    const dir = await vocFixture();
    await writePhoto(join(dir, 'images', 'lonely.jpg'));
    writeVocXml(join(dir, 'annotations', 'ghost.xml'), 'ghost.jpg', SIZE, [
      { name: 'with_mask', box: { x: 1, y: 1, width: 9, height: 9 } },
    ]);
    writeFileSync(join(dir, 'annotations', 'broken.xml'), '<annotation><filename>p2.png</filename><object>');
    const { samples, problems } = await readDataset([dir], { labelMap: { helmet: 'skip' } });
    expect(samples).toHaveLength(4);
    const byKind = Object.fromEntries(problems.map((p) => [p.kind, p.path]));
    expect(byKind['missing-annotation']).toBe(join(dir, 'images', 'lonely.jpg'));
    expect(byKind['missing-image']).toBe(join(dir, 'annotations', 'ghost.xml'));
    expect(byKind['bad-annotation']).toBe(join(dir, 'annotations', 'broken.xml'));
  });

  it('fails with the path when annotations/ is missing or holds no XML', async () => {
    const dir = await vocFixture();
    rmSync(join(dir, 'annotations'), { recursive: true });
    mkdirSync(join(dir, 'annotations'));
    await expect(readDataset([dir])).rejects.toMatchObject({
      code: 'E_DATA',
      detail: { path: join(dir, 'annotations') },
    });
    rmSync(join(dir, 'annotations'), { recursive: true });
    const err = await readDataset([dir]).catch((e: unknown) => e);
    expect(isMaskEdgeError(err, 'E_NOT_FOUND')).toBe(true);
    expect((err as { detail: { path: string } }).detail.path).toBe(join(dir, 'annotations'));
  });

  it('resolves <filename> by exact name, then by stem with another extension, then by the XML name', () => {
    const byName = new Map([
      ['a.jpg', 'a.jpg'],
      ['b.png', 'b.png'],
      ['c.jpg', 'c.jpg'],
      ['c.png', 'c.png'],
    ]);
    const byStem = new Map([
      ['a', ['a.jpg']],
      ['b', ['b.png']],
      ['c', ['c.jpg', 'c.png']],
    ]);
    expect(resolveVocImage('a.jpg', 'a.xml', byName, byStem)).toBe('a.jpg');
    expect(resolveVocImage('a.png', 'x.xml', byName, byStem)).toBe('a.jpg');
    expect(resolveVocImage('c.png', 'c.xml', byName, byStem)).toBe('c.png');
    expect(resolveVocImage('wrong.jpg', 'b.xml', byName, byStem)).toBe('b.png');
    expect(resolveVocImage(undefined, 'zzz.xml', byName, byStem)).toBeUndefined();
  });

  it('splits by photo: faces of one photo and its exact copies never straddle splits, for any seed', async () => {
    const t = tempDir();
    cleanups.push(t.cleanup);
    const names = ['with_mask', 'without_mask', 'mask_weared_incorrect'];
    for (let i = 0; i < 24; i++) {
      await writePhoto(join(t.dir, 'images', `p${i}.jpg`), { ...SIZE, background: [i * 10, 100, 50] });
      const objects = Array.from({ length: 1 + (i % 3) }, (_, k) => ({
        name: names[(i + k) % 3] as string,
        box: { x: 2 + k * 20, y: 4, width: 16, height: 16 },
      }));
      writeVocXml(join(t.dir, 'annotations', `p${i}.xml`), `p${i}.jpg`, SIZE, objects);
    }
    copyFileSync(join(t.dir, 'images', 'p0.jpg'), join(t.dir, 'images', 'dup0.jpg'));
    writeVocXml(join(t.dir, 'annotations', 'dup0.xml'), 'dup0.jpg', SIZE, [
      { name: 'with_mask', box: { x: 3, y: 3, width: 10, height: 10 } },
    ]);
    const { samples } = await readDataset([t.dir]);
    for (let seed = 0; seed < 20; seed++) {
      const splits = splitDataset(samples, { seed });
      const splitOfPath = new Map<string, string>();
      for (const [name, list] of Object.entries(splits)) {
        for (const s of list) {
          const key = s.group;
          expect(splitOfPath.get(key) ?? name).toBe(name);
          splitOfPath.set(key, name);
        }
      }
      const where = (file: string) =>
        Object.entries(splits).find(([, l]) => l.some((s) => s.path.endsWith(file)))?.[0];
      expect(where('dup0.jpg')).toBe(where('p0.jpg'));
    }
  });
});
