import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { labelForMfnKind, mfnKindOf, readDataset } from '../../src/core/dataset/index.js';
import { tempDir, writeNumberedPhoto } from './dataset-fixtures.js';

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});

describe('MaskedFace-Net names', () => {
  it('parses each suffix, longest first, case-insensitively', () => {
    expect(mfnKindOf('00000_Mask.jpg')).toBe('Mask');
    expect(mfnKindOf('dir/00012_Mask_Chin.jpg')).toBe('Mask_Chin');
    expect(mfnKindOf('00013_Mask_Mouth_Chin.png')).toBe('Mask_Mouth_Chin');
    expect(mfnKindOf('00014_mask_nose_mouth.JPG')).toBe('Mask_Nose_Mouth');
    expect(mfnKindOf('00003_CWM.jpg')).toBe('CWM');
    expect(mfnKindOf('07240_IWM.jpg')).toBe('IWM');
    expect(mfnKindOf('photo_Masked.jpg')).toBeUndefined();
    expect(mfnKindOf('img1.jpg')).toBeUndefined();
  });

  it('maps kinds by policy; nose-mouth (chin uncovered) is incorrect by default', () => {
    expect(labelForMfnKind('Mask')).toBe('correct');
    expect(labelForMfnKind('CWM')).toBe('correct');
    expect(labelForMfnKind('Mask_Chin')).toBe('incorrect');
    expect(labelForMfnKind('Mask_Mouth_Chin')).toBe('incorrect');
    expect(labelForMfnKind('IWM')).toBe('incorrect');
    expect(labelForMfnKind('Mask_Nose_Mouth')).toBe('incorrect');
    expect(labelForMfnKind('Mask_Nose_Mouth', { noseMouth: 'skip' })).toBe('skip');
    expect(labelForMfnKind('Mask_Nose_Mouth', { noseMouth: 'correct' })).toBe('correct');
  });

  async function fixture(): Promise<string> {
    const t = tempDir();
    cleanups.push(t.cleanup);
    const files = [
      'correct/00000_Mask.jpg',
      'correct/00003_CWM.jpg',
      'correct/00007_Mask_Chin.jpg', // name disagrees with folder
      'incorrect/00001_Mask_Mouth_Chin.jpg',
      'incorrect/00002_Mask_Nose_Mouth.jpg',
      'incorrect/00004_IWM.jpg',
    ];
    for (const [i, f] of files.entries()) await writeNumberedPhoto(join(t.dir, f), i);
    return t.dir;
  }

  it('reads a correct/incorrect folder: folder wins by default and conflicts are reported', async () => {
    const dir = await fixture();
    const { samples, problems } = await readDataset([dir]);
    expect(samples.every((s) => s.format === 'maskedface-net')).toBe(true);
    const label = (name: string) => samples.find((s) => s.path.endsWith(name))?.label;
    expect(label('00007_Mask_Chin.jpg')).toBe('correct');
    expect(label('00002_Mask_Nose_Mouth.jpg')).toBe('incorrect');
    expect(samples.filter((s) => s.label === 'correct')).toHaveLength(3);
    expect(problems).toEqual([
      expect.objectContaining({ kind: 'label-conflict', path: join(dir, 'correct', '00007_Mask_Chin.jpg') }),
    ]);
  });

  it('lets the name win, or skips nose-mouth images, when the policy says so', async () => {
    const dir = await fixture();
    const byName = await readDataset([dir], { mfnPolicy: { conflict: 'name' } });
    expect(byName.samples.find((s) => s.path.endsWith('00007_Mask_Chin.jpg'))?.label).toBe('incorrect');
    const skip = await readDataset([dir], { mfnPolicy: { noseMouth: 'skip' } });
    expect(skip.samples).toHaveLength(5);
    expect(skip.problems.map((p) => p.kind).sort()).toEqual(['label-conflict', 'skipped-by-policy']);
    const conflictSkip = await readDataset([dir], { mfnPolicy: { conflict: 'skip' } });
    expect(conflictSkip.samples).toHaveLength(5);
  });

  it('reads a flat folder of MaskedFace-Net names by name alone', async () => {
    const t = tempDir();
    cleanups.push(t.cleanup);
    for (const [i, f] of ['1_Mask.jpg', '2_Mask_Chin.jpg', '3_IWM.jpg', 'other.jpg'].entries()) {
      await writeNumberedPhoto(join(t.dir, f), i);
    }
    const { samples } = await readDataset([t.dir]);
    expect(samples.map((s) => [s.path.slice(t.dir.length + 1), s.label])).toEqual([
      ['1_Mask.jpg', 'correct'],
      ['2_Mask_Chin.jpg', 'incorrect'],
      ['3_IWM.jpg', 'incorrect'],
    ]);
  });
});
