import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterEach, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { readDataset } from '../../src/core/dataset/index.js';
import { run as inspect } from '../../src/train/data/data-inspect-command.js';
import { fileStem, run as prepare } from '../../src/train/data/data-prepare-command.js';
import { tempDir, writeNumberedPhoto, writePhoto, writeVocXml } from './dataset-fixtures.js';

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});
function temp(): string {
  const t = tempDir();
  cleanups.push(t.cleanup);
  return t.dir;
}
const sink = () => {
  let text = '';
  return { write: (s: string) => (text += s), text: () => text };
};

/** A VOC set of 12 photos (2 faces each, one tiny) plus an ImageFolder with a corrupt file. */
async function fixtures(): Promise<{ voc: string; folder: string }> {
  const voc = temp();
  for (let i = 0; i < 12; i++) {
    await writePhoto(join(voc, 'images', `p${i}.jpg`), {
      width: 80,
      height: 60,
      background: [i * 20, 50, 90],
    });
    writeVocXml(join(voc, 'annotations', `p${i}.xml`), `p${i}.jpg`, { width: 80, height: 60 }, [
      { name: i % 3 === 0 ? 'without_mask' : 'with_mask', box: { x: 5, y: 5, width: 40, height: 40 } },
      { name: 'mask_weared_incorrect', box: { x: 60, y: 30, width: 10, height: 12 } },
    ]);
  }
  const folder = temp();
  for (let i = 0; i < 6; i++) await writeNumberedPhoto(join(folder, 'train', 'correct', `c${i}.jpg`), i);
  for (let i = 0; i < 2; i++) await writeNumberedPhoto(join(folder, 'test', 'no_mask', `n${i}.jpg`), 10 + i);
  writeFileSync(join(folder, 'test', 'no_mask', 'broken.jpg'), 'not a jpeg at all');
  return { voc, folder };
}

describe('data inspect', () => {
  it('counts per split and label and flags tiny faces and unreadable files (table and JSON)', async () => {
    const { voc, folder } = await fixtures();
    const out = sink();
    const summary = await inspect({ dirs: [voc, folder], minFace: 16, json: true, out });
    const parsed = JSON.parse(out.text());
    expect(parsed.totals).toEqual({ correct: 14, incorrect: 12, no_mask: 7, all: 33 });
    expect(summary.split).toBe('mixed');
    expect(parsed.counts.train.correct + parsed.counts.val.correct + parsed.counts.test.correct).toBe(14);
    expect(parsed.counts.test.no_mask).toBeGreaterThanOrEqual(3); // 3 preset test files (one corrupt) + VOC share
    expect(parsed.problemCounts).toEqual({ tiny: 12, unreadable: 1 });
    expect(parsed.problems.find((p: { kind: string }) => p.kind === 'unreadable').path).toBe(
      join(folder, 'test', 'no_mask', 'broken.jpg'),
    );
    const table = sink();
    await inspect({ dirs: [voc], minFace: 16, out: table });
    expect(table.text()).toMatch(/split\s+correct\s+incorrect\s+no_mask\s+total/);
    expect(table.text()).toMatch(/total\s+8\s+12\s+4\s+24/);
    expect(table.text()).toContain('tiny: 12');
  });
});

describe('data prepare', () => {
  it('writes train/val/test/<label>/*.jpg crops at --size that read back as the same split', async () => {
    const { voc, folder } = await fixtures();
    const out = join(temp(), 'prepared');
    const manifest = await prepare({ data: [voc, folder], out, size: 32, seed: 3, stdout: sink() });
    const files = Object.keys(manifest.files);
    expect(files).toHaveLength(32); // 33 faces, the corrupt one skipped
    expect(manifest.problems.map((p) => p.kind)).toEqual(['unreadable']);
    const meta = await sharp(join(out, files[0] as string)).metadata();
    expect([meta.width, meta.height, meta.format]).toEqual([32, 32, 'jpeg']);
    expect(JSON.parse(readFileSync(join(out, 'prepare.json'), 'utf8')).size).toBe(32);
    const back = await readDataset([out]);
    expect(back.samples).toHaveLength(32);
    for (const s of back.samples) {
      const rel = s.path.slice(out.length + 1);
      expect(rel.startsWith(`${s.split}/${s.label}/`)).toBe(true);
    }
    // VOC faces of one photo stay in one split
    const splitOfPhoto = new Map<string, string>();
    for (const [rel, id] of Object.entries(manifest.files)) {
      const photo = id.split('#')[0] as string;
      expect(splitOfPhoto.get(photo) ?? rel.split('/')[0]).toBe(rel.split('/')[0]);
      splitOfPhoto.set(photo, rel.split('/')[0] as string);
    }
  });

  it('refuses a non-empty --out (exit code 2) and an unknown label folder (exit code 5)', async () => {
    const { folder } = await fixtures();
    const out = temp();
    writeFileSync(join(out, 'keep.txt'), 'x');
    const argv = ['node', 'mask-edge', 'data', 'prepare', '--data', folder, '--out', out];
    expect(await main(argv)).toBe(2);
    expect(readdirSync(out)).toEqual(['keep.txt']);
    await writeNumberedPhoto(join(folder, 'train', 'hats', 'h.jpg'), 99);
    const fresh = join(temp(), 'new');
    expect(await main(['node', 'mask-edge', 'data', 'prepare', '--data', folder, '--out', fresh])).toBe(5);
    expect(existsSync(fresh)).toBe(false);
  });

  it('names files after the sample id, keeping MaskedFace-Net suffixes last', () => {
    expect(fileStem('voc:kaggle-face-mask/maksssksksss12.jpg#3')).toBe('kaggle-face-mask_maksssksksss12_f3');
    expect(fileStem('maskedface-net:mfn/correct/00012_Mask_Chin.jpg')).toBe('mfn_correct_00012_Mask_Chin');
    expect(fileStem('imagefolder:my set/with mask/a b.png')).toBe('my_set_with_mask_a_b');
  });
});
