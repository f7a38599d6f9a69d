import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parseLabelMap, readDataset } from '../../src/core/dataset/index.js';
import { LABEL_ALIASES, LABELS, labelFromAlias } from '../../src/core/labels.js';
import { tempDir, writeNumberedPhoto, writePhoto, writeVocXml } from './dataset-fixtures.js';

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});

const SIZE = { width: 64, height: 48 };
const box = (x: number) => ({ x, y: 4, width: 14, height: 14 });

/** An ILC-style VOC set: with_mask, without_mask, with_incorrect_mask, plus names a user must map. */
async function vocSet(objects: string[][]): Promise<string> {
  const t = tempDir();
  cleanups.push(t.cleanup);
  for (const [i, names] of objects.entries()) {
    await writePhoto(join(t.dir, 'images', `p${i}.jpg`), { ...SIZE, background: [i * 30, 90, 40] });
    writeVocXml(
      join(t.dir, 'annotations', `p${i}.xml`),
      `p${i}.jpg`,
      SIZE,
      names.map((name, k) => ({ name, box: box(2 + 16 * k) })),
    );
  }
  return t.dir;
}

describe('label aliases', () => {
  it('maps the common spellings of public sets, case- and space-insensitively', () => {
    const expected: Record<string, string> = {
      with_mask: 'correct',
      mask_worn_correctly: 'correct',
      without_mask: 'no_mask',
      no_face_mask: 'no_mask',
      with_incorrect_mask: 'incorrect',
      mask_weared_incorrect: 'incorrect',
      mask_worn_incorrectly: 'incorrect',
      incorrect_mask: 'incorrect',
    };
    for (const [name, label] of Object.entries(expected)) {
      expect(labelFromAlias(name), name).toBe(label);
      expect(labelFromAlias(` ${name.toUpperCase()} `), name).toBe(label);
    }
    for (const l of LABELS) expect(labelFromAlias(l)).toBe(l);
    expect(Object.values(LABEL_ALIASES).every((l) => (LABELS as readonly string[]).includes(l))).toBe(true);
    expect(labelFromAlias('helmet')).toBeUndefined();
  });
});

describe('--label-map', () => {
  it('parses NAME=LABEL (labels, aliases or skip) and rejects malformed entries with E_USAGE', () => {
    expect(
      parseLabelMap(['Mask_On=correct', 'half=with_incorrect_mask', 'helmet=skip', 'a=b=no_mask']),
    ).toEqual({
      mask_on: 'correct',
      half: 'incorrect',
      helmet: 'skip',
      'a=b': 'no_mask',
    });
    expect(parseLabelMap(undefined)).toEqual({});
    for (const bad of ['nolabel', '=correct', 'x=', 'x=sunglasses']) {
      expect(() => parseLabelMap([bad]), bad).toThrow(
        expect.objectContaining({ code: 'E_USAGE', detail: expect.objectContaining({ labelMap: bad }) }),
      );
    }
  });

  it('reads the ILC names through the aliases, and a user name through --label-map', async () => {
    const dir = await vocSet([
      ['with_mask', 'without_mask'],
      ['with_incorrect_mask', 'MaskOn'],
    ]);
    const { samples, skippedLabels } = await readDataset([dir], {
      labelMap: parseLabelMap(['maskon=correct']),
    });
    expect(samples.map((s) => s.label)).toEqual(['correct', 'no_mask', 'incorrect', 'correct']);
    expect(skippedLabels).toEqual({ total: 0, byName: {} });
    // the map wins over an alias
    const remapped = await readDataset([dir], {
      labelMap: parseLabelMap(['maskon=correct', 'with_incorrect_mask=no_mask']),
    });
    expect(remapped.samples.map((s) => s.label)).toEqual(['correct', 'no_mask', 'no_mask', 'correct']);
  });

  it('an unknown label name is E_DATA naming every unknown name, its count and how to map it', async () => {
    const dir = await vocSet([['with_mask', 'helmet'], ['helmet', 'MaskOn'], ['without_mask']]);
    const err = (await readDataset([dir]).catch((e: unknown) => e)) as {
      code: string;
      message: string;
      detail: Record<string, unknown>;
    };
    expect(err.code).toBe('E_DATA');
    expect(err.detail.unknownLabels).toEqual({ helmet: 2, MaskOn: 1 });
    expect(err.detail.path).toBe(join(dir, 'annotations', 'p0.xml'));
    expect(err.message).toContain("'helmet' (2");
    expect(err.message).toContain("'MaskOn' (1");
    expect(err.message).toContain('--label-map NAME=LABEL');
    expect(err.message).toContain('--skip-unknown-labels');
  });

  it('--skip-unknown-labels goes on and counts what it skipped; NAME=skip drops a name on purpose', async () => {
    const dir = await vocSet([['with_mask', 'helmet'], ['helmet', 'MaskOn'], ['without_mask']]);
    const skipped = await readDataset([dir], { skipUnknownLabels: true });
    expect(skipped.samples.map((s) => s.label)).toEqual(['correct', 'no_mask']);
    expect(skipped.skippedLabels).toEqual({ total: 3, byName: { helmet: 2, MaskOn: 1 } });
    expect(skipped.problems.filter((p) => p.kind === 'unknown-label')).toHaveLength(3);
    const mapped = await readDataset([dir], { labelMap: parseLabelMap(['helmet=skip', 'maskon=correct']) });
    expect(mapped.samples).toHaveLength(3);
    expect(mapped.skippedLabels).toEqual({ total: 2, byName: { helmet: 2 } });
    expect(mapped.problems.filter((p) => p.kind === 'skipped-by-policy')).toHaveLength(2);
  });

  it('ImageFolder: a label folder maps through --label-map; an unknown one is skipped and its images counted', async () => {
    const t = tempDir();
    cleanups.push(t.cleanup);
    await writeNumberedPhoto(join(t.dir, 'with_incorrect_mask', 'a.jpg'), 1);
    await writeNumberedPhoto(join(t.dir, 'Masked', 'b.jpg'), 2);
    await writeNumberedPhoto(join(t.dir, 'sunglasses', 'c.jpg'), 3);
    await writeNumberedPhoto(join(t.dir, 'sunglasses', 'd.jpg'), 4);
    await expect(readDataset([t.dir], { labelMap: parseLabelMap(['masked=correct']) })).rejects.toMatchObject(
      {
        code: 'E_DATA',
        detail: { unknownLabels: { sunglasses: 2 }, path: join(t.dir, 'sunglasses') },
      },
    );
    const { samples, skippedLabels } = await readDataset([t.dir], {
      labelMap: parseLabelMap(['masked=correct']),
      skipUnknownLabels: true,
    });
    expect(samples.map((s) => s.label).sort()).toEqual(['correct', 'incorrect']);
    expect(skippedLabels).toEqual({ total: 2, byName: { sunglasses: 2 } });
  });
});
