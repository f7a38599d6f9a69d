import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import {
  dropLeakedSynthetic,
  type FaceSample,
  readDataset,
  SYNTH_MANIFEST,
  splitDataset,
} from '../../src/core/dataset/index.js';
import { isMaskEdgeError } from '../../src/core/errors.js';
import { implausibleLandmarks, type Point, type SixPoints } from '../../src/train/synth/mask-placement.js';
import { parseMaskConfig, type TemplateLevel } from '../../src/train/synth/mask-templates.js';
import { compositeMask, insidePolygon } from '../../src/train/synth/mask-warp.js';

describe('masks.cfg parser', () => {
  const cfg = `
[surgical]
template:   masks/templates/surgical.png
mask_a:     21, 97
mask_b:     307, 22
mask_c:     600, 99
mask_d:     25, 322
mask_e:     295, 470
mask_f:     600, 323

;[N95_left]
;template:   masks/N95_left.png
;mask_a:     176, 121

[KN95_right]
template: masks/templates/KN95_right.png
mask_c: 664, 258
mask_b: 509, 100
mask_a: -14, 80
mask_f: 506, 408
mask_e: 381, 604
mask_d: -54, 270

[empty]
[inpaint_left]
`;

  it('reads sections with six anchors in a..f order (any key order), skips comments and anchorless sections', () => {
    const specs = parseMaskConfig(cfg);
    expect(specs.map((s) => s.name)).toEqual(['surgical', 'KN95_right']);
    expect(specs[0]).toMatchObject({ file: 'surgical.png', view: 'front', family: 'surgical' });
    expect(specs[1]).toMatchObject({ file: 'KN95_right.png', view: 'right', family: 'KN95' });
    expect(specs[1]?.anchors.map((p) => [p.x, p.y])).toEqual([
      [-14, 80],
      [509, 100],
      [664, 258],
      [-54, 270],
      [381, 604],
      [506, 408],
    ]);
  });

  it('a bad anchor is E_DATA naming the section and key', () => {
    const bad = cfg.replace('mask_e:     295, 470', 'mask_e:     295');
    try {
      parseMaskConfig(bad);
      expect.unreachable();
    } catch (err) {
      expect(isMaskEdgeError(err, 'E_DATA')).toBe(true);
      expect((err as Error).message).toContain('[surgical] mask_e');
    }
  });
});

describe('piecewise-affine mask warp', () => {
  // An opaque 100x60 template whose anchors are its corners and edge midpoints.
  const template: TemplateLevel = {
    width: 100,
    height: 60,
    data: new Uint8Array(100 * 60 * 4).map((_, i) => (i % 4 === 3 ? 255 : 200)),
    anchors: [
      { x: 0, y: 0 },
      { x: 50, y: 0 },
      { x: 100, y: 0 },
      { x: 0, y: 60 },
      { x: 50, y: 60 },
      { x: 100, y: 60 },
    ],
  };
  const face = { width: 120, height: 120, data: new Uint8Array(120 * 120 * 3).fill(20) };

  it('covers exactly the hexagon of the destination anchors (a curved bottom edge included)', () => {
    const dst: SixPoints = [
      { x: 20, y: 30 },
      { x: 60, y: 20 },
      { x: 100, y: 30 },
      { x: 25, y: 80 },
      { x: 60, y: 100 },
      { x: 95, y: 80 },
    ];
    const result = compositeMask(face, template, dst);
    expect(result).toBeDefined();
    const hexagon = [dst[0], dst[1], dst[2], dst[5], dst[4], dst[3]];
    let inside = 0;
    let covered = 0;
    let outsideCovered = 0;
    for (let y = 0; y < 120; y++) {
      for (let x = 0; x < 120; x++) {
        const a = result?.alpha[y * 120 + x] ?? 0;
        // Skip the one-pixel rim where bilinear sampling fades the edge.
        const core = insidePolygon(hexagon, x + 0.5, y + 0.5);
        const nearEdge = [-1.5, 1.5].some(
          (d) =>
            insidePolygon(hexagon, x + 0.5 + d, y + 0.5) !== core ||
            insidePolygon(hexagon, x + 0.5, y + 0.5 + d) !== core,
        );
        if (nearEdge) continue;
        if (core) {
          inside++;
          if (a > 0.99) covered++;
        } else if (a > 0.01) outsideCovered++;
      }
    }
    expect(covered / inside).toBeGreaterThan(0.99);
    expect(outsideCovered).toBe(0);
    // Mask colour 200 over a face at 20, fully opaque: 200 where covered.
    const centre = (60 * 120 + 60) * 3;
    expect(result?.image.data[centre]).toBe(200);
    expect(face.data[centre]).toBe(20); // the input is not modified
  });

  it('tone multiplies the mask colour; a collapsed anchor set draws nothing', () => {
    const dst: SixPoints = [
      { x: 20, y: 30 },
      { x: 60, y: 20 },
      { x: 100, y: 30 },
      { x: 25, y: 80 },
      { x: 60, y: 100 },
      { x: 95, y: 80 },
    ];
    const toned = compositeMask(face, template, dst, [0.5, 0.5, 1]);
    const centre = (60 * 120 + 60) * 3;
    expect([...(toned?.image.data.subarray(centre, centre + 3) ?? [])]).toEqual([100, 100, 200]);
    const flat = dst.map((p) => ({ x: p.x, y: 50 })) as unknown as SixPoints;
    expect(compositeMask(face, template, flat)).toBeUndefined();
  });
});

describe('landmark plausibility', () => {
  // A symmetric, upright 68-point face in a 100 px box (jaw 0..16, nose 27..35, eyes, lips).
  const face = (): Point[] => {
    const p: Point[] = Array.from({ length: 68 }, () => ({ x: 50, y: 50 }));
    for (let i = 0; i <= 16; i++) {
      const t = (i / 16) * Math.PI;
      p[i] = { x: 50 - 40 * Math.cos(t), y: 40 + 50 * Math.sin(t) };
    }
    for (let i = 27; i <= 30; i++) p[i] = { x: 50, y: 38 + (i - 27) * 8 };
    for (let i = 31; i <= 35; i++) p[i] = { x: 42 + (i - 31) * 4, y: 66 };
    p[51] = { x: 50, y: 72 };
    p[57] = { x: 50, y: 80 };
    return p;
  };

  it('accepts a face, rejects collapsed, upside-down and too-turned ones with a reason', () => {
    expect(implausibleLandmarks(face(), 100)).toBeUndefined();
    const collapsed = face().map((q) => ({ x: 50 + (q.x - 50) * 0.2, y: 50 + (q.y - 50) * 0.2 }));
    expect(implausibleLandmarks(collapsed, 100)).toMatch(/too short/);
    const flipped = face().map((q) => ({ x: q.x, y: 100 - q.y }));
    expect(implausibleLandmarks(flipped, 100)).toMatch(/tilted/);
    const turned = face();
    turned[30] = { x: 12, y: 62 };
    expect(implausibleLandmarks(turned, 100)).toMatch(/turned/);
    expect(implausibleLandmarks(face().slice(0, 10), 100)).toMatch(/68/);
  });
});

describe('a synthetic folder reads back train-only, and leaks are dropped', () => {
  async function jpeg(path: string, shade: number): Promise<void> {
    const buf = await sharp({
      create: { width: 32, height: 32, channels: 3, background: { r: shade, g: 0, b: 0 } },
    })
      .jpeg()
      .toBuffer();
    writeFileSync(path, buf);
  }

  it('presets split train, records the source photo, and drops faces whose photo is in val/test', async () => {
    const root = mkdtempSync(join(tmpdir(), 'synth-read-'));
    // A real ImageFolder of 20 no_mask photos, split by the seed.
    const real = join(root, 'real');
    mkdirSync(join(real, 'no_mask'), { recursive: true });
    for (let i = 0; i < 20; i++) await jpeg(join(real, 'no_mask', `p${i}.jpg`), 10 * i);
    const synth = join(root, 'synth');
    mkdirSync(join(synth, 'correct'), { recursive: true });
    mkdirSync(join(synth, 'incorrect'), { recursive: true });
    const faces = [];
    for (let i = 0; i < 20; i++) {
      const label = i % 2 === 0 ? 'correct' : 'incorrect';
      const file = `${label}/p${i}_${label === 'correct' ? 'correct' : 'nose-out'}.jpg`;
      await jpeg(join(synth, file), 5 + 10 * i);
      faces.push({
        file,
        label,
        variant: label === 'correct' ? 'correct' : 'nose-out',
        template: 'surgical',
        source: {
          path: join(real, 'no_mask', `p${i}.jpg`),
          faceIndex: 0,
          dataDir: real,
          origin: 'data',
          split: 'train',
        },
      });
    }
    await jpeg(join(synth, 'gallery.png'), 0);
    writeFileSync(
      join(synth, SYNTH_MANIFEST),
      JSON.stringify({
        version: 1,
        kind: 'mask-edge-synth',
        trainOnly: true,
        faces,
        extraFiles: ['gallery.png'],
      }),
    );

    const { samples, problems } = await readDataset([real, synth]);
    expect(problems).toEqual([]); // gallery.png is not a stray image
    const synthetic = samples.filter((s) => s.source === synth);
    expect(synthetic).toHaveLength(20);
    expect(synthetic.every((s) => s.split === 'train' && s.derivedFrom?.origin === 'data')).toBe(true);

    // The real faces split exactly as without the synthetic folder.
    const alone = splitDataset((await readDataset([real])).samples, { seed: 3 });
    const both = splitDataset(samples, { seed: 3 });
    for (const sp of ['train', 'val', 'test'] as const) {
      expect(both[sp].filter((s) => s.source === real).map((s) => s.id)).toEqual(alone[sp].map((s) => s.id));
    }
    // Made from every photo, so the ones whose photo is in val/test must go, and only those.
    const { splits, dropped } = dropLeakedSynthetic(both, [real, synth]);
    const heldOut = new Set([...both.val, ...both.test].map((s) => s.path));
    expect(dropped.length).toBe(heldOut.size);
    expect(dropped.length).toBeGreaterThan(0);
    for (const s of splits.train) {
      if (s.derivedFrom) expect(heldOut.has(s.derivedFrom.path)).toBe(false);
    }
    expect(splits.train.filter((s) => s.derivedFrom)).toHaveLength(20 - heldOut.size);
    // A run that does not read the source folder drops all of them (held-out source).
    const onlySynth = dropLeakedSynthetic(splitDataset(synthetic as FaceSample[], { seed: 3 }), [synth]);
    expect(onlySynth.splits.train).toHaveLength(0);
    expect(onlySynth.dropped[0]?.reason).toMatch(/does not read/);
  });

  it('a malformed manifest is E_DATA naming the field', async () => {
    const root = mkdtempSync(join(tmpdir(), 'synth-bad-'));
    mkdirSync(join(root, 'correct'));
    await jpeg(join(root, 'correct', 'a.jpg'), 1);
    writeFileSync(
      join(root, SYNTH_MANIFEST),
      JSON.stringify({ version: 1, kind: 'mask-edge-synth', faces: [] }),
    );
    await expect(readDataset([root])).rejects.toMatchObject({ code: 'E_DATA' });
    await expect(readDataset([root])).rejects.toThrow(/trainOnly/);
  });
});

describe('data synth command line', () => {
  it('rejects an unknown variant (exit 2) and a run with neither --data nor --faces (E_USAGE)', async () => {
    const out = join(mkdtempSync(join(tmpdir(), 'synth-cli-')), 'out');
    expect(
      await main(['node', 'mask-edge', 'data', 'synth', '--out', out, '--variants', 'correct,sideways']),
    ).toBe(2);
    expect(await main(['node', 'mask-edge', 'data', 'synth', '--out', out, '--templates', out])).toBe(2);
  });
});
