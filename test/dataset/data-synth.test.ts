import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  dropLeakedSynthetic,
  type FaceSample,
  readDataset,
  SYNTH_MANIFEST,
  type SynthManifest,
  splitDataset,
} from '../../src/core/dataset/index.js';
import { decodeImage } from '../../src/core/image-io.js';
import { sharedDataDir } from '../../src/core/package-paths.js';
import { SeededRandom } from '../../src/core/seeded-random.js';
import { type LandmarkFinder, loadLandmarkFinder } from '../../src/train/synth/face-landmarks.js';
import { loadMaskTemplates, type MaskTemplate } from '../../src/train/synth/mask-templates.js';
import { run as synth } from '../../src/train/synth/synth-command.js';
import { type PreparedFace, prepareFace, renderMask } from '../../src/train/synth/synth-face.js';

const shared = sharedDataDir();
if (!shared)
  console.warn('[skip] shared data not found (../shared/data or MASK_EDGE_DATA): data synth tests skipped');

describe.skipIf(!shared)('data synth on shared faces', () => {
  const kaggle = join(shared ?? '', 'kaggle-face-mask');
  const templatesDir = join(shared ?? '', 'mask-templates');
  let find: LandmarkFinder;
  let templates: MaskTemplate[];
  const faces: { id: string; face: PreparedFace }[] = [];

  beforeAll(async () => {
    ({ find } = await loadLandmarkFinder('wasm'));
    templates = await loadMaskTemplates(templatesDir);
    // Frontal, large no_mask faces of the Kaggle set (a handful is enough).
    const { samples } = await readDataset([kaggle]);
    const candidates = samples
      .filter((s) => s.label === 'no_mask' && s.box && Math.min(s.box.width, s.box.height) >= 80)
      .slice(0, 12);
    for (const s of candidates) {
      const prepared = await prepareFace(await decodeImage(s.path), s.box, find);
      if ('face' in prepared && prepared.face.view === 'front') faces.push({ id: s.id, face: prepared.face });
      if (faces.length >= 5) break;
    }
  });

  /** Opacity at a landmark (mean over a 3x3 neighbourhood). */
  const alphaAt = (alpha: Float32Array, width: number, p: { x: number; y: number }): number => {
    let sum = 0;
    for (let dy = -1; dy <= 1; dy++)
      for (let dx = -1; dx <= 1; dx++) {
        const x = Math.min(width - 1, Math.max(0, Math.round(p.x) + dx));
        const y = Math.min(alpha.length / width - 1, Math.max(0, Math.round(p.y) + dy));
        sum += alpha[y * width + x] ?? 0;
      }
    return sum / 9;
  };
  /** Topmost and bottommost rows with opacity > 0.5 in the columns between the nostrils. */
  const maskRows = (alpha: Float32Array, width: number, lm: readonly { x: number; y: number }[]) => {
    const x0 = Math.round(Math.min((lm[31] as { x: number }).x, (lm[35] as { x: number }).x));
    const x1 = Math.round(Math.max((lm[31] as { x: number }).x, (lm[35] as { x: number }).x));
    let top = Number.POSITIVE_INFINITY;
    let bottom = Number.NEGATIVE_INFINITY;
    const height = alpha.length / width;
    for (let y = 0; y < height; y++)
      for (let x = x0; x <= x1; x++) {
        if ((alpha[y * width + x] ?? 0) > 0.5) {
          top = Math.min(top, y);
          bottom = Math.max(bottom, y);
        }
      }
    return { top, bottom };
  };

  it('finds frontal faces with landmarks to test on', () => {
    expect(faces.length).toBeGreaterThanOrEqual(3);
  });

  it('correct: the mask covers nose tip, mouth and chin, starts on the nose bridge and leaves the eyes', () => {
    for (const { id, face } of faces) {
      for (const template of templates.filter((t) => t.spec.view === 'front')) {
        const mask = renderMask(face, 'correct', template, new SeededRandom(1));
        expect(mask, `${id} ${template.spec.name}`).toBeDefined();
        if (!mask) continue;
        const lm = face.landmarks;
        const w = face.crop.width;
        const where = `${id} ${template.spec.name}`;
        for (const i of [30, 33, 51, 57, 62, 66, 48, 54]) {
          expect(
            alphaAt(mask.alpha, w, lm[i] as { x: number; y: number }),
            `${where} landmark ${i}`,
          ).toBeGreaterThan(0.9);
        }
        expect(alphaAt(mask.alpha, w, lm[8] as { x: number; y: number }), `${where} chin`).toBeGreaterThan(
          0.5,
        );
        for (const i of [37, 38, 43, 44]) {
          expect(alphaAt(mask.alpha, w, lm[i] as { x: number; y: number }), `${where} eye ${i}`).toBeLessThan(
            0.1,
          );
        }
        const { top, bottom } = maskRows(mask.alpha, w, lm);
        const noseTop = (lm[27] as { y: number }).y;
        const noseTip = (lm[30] as { y: number }).y;
        const chin = (lm[8] as { y: number }).y;
        const faceHeight = chin - noseTop;
        // Between nose and chin: the top edge lies on the nose bridge (27..30, a little slack above for the
        // template's curved top), the bottom edge at the chin.
        expect(top, where).toBeGreaterThan(noseTop - 0.12 * faceHeight);
        expect(top, where).toBeLessThan(noseTip);
        expect(Math.abs(bottom - chin), where).toBeLessThan(0.15 * faceHeight);
      }
    }
  });

  it('nose-out: the mask top is below the nose, the mouth stays covered', () => {
    for (const { id, face } of faces) {
      for (const template of templates.filter((t) => t.spec.view === 'front')) {
        const mask = renderMask(face, 'nose-out', template, new SeededRandom(1));
        const where = `${id} ${template.spec.name}`;
        expect(mask, where).toBeDefined();
        if (!mask) continue;
        const lm = face.landmarks;
        const w = face.crop.width;
        const { top } = maskRows(mask.alpha, w, lm);
        expect(top, where).toBeGreaterThan((lm[33] as { y: number }).y);
        for (const i of [30, 31, 33, 35]) {
          expect(
            alphaAt(mask.alpha, w, lm[i] as { x: number; y: number }),
            `${where} nose ${i}`,
          ).toBeLessThan(0.1);
        }
        expect(
          alphaAt(mask.alpha, w, lm[57] as { x: number; y: number }),
          `${where} lower lip`,
        ).toBeGreaterThan(0.9);
      }
    }
  });

  it('mouth-nose-out leaves the mouth open; chin-out leaves the chin open', () => {
    for (const { id, face } of faces) {
      const template = templates.find((t) => t.spec.name === 'surgical') as MaskTemplate;
      const lm = face.landmarks;
      const w = face.crop.width;
      const chinOnly = renderMask(face, 'mouth-nose-out', template, new SeededRandom(1));
      expect(
        alphaAt(chinOnly?.alpha ?? new Float32Array(), w, lm[51] as { x: number; y: number }),
        id,
      ).toBeLessThan(0.1);
      expect(
        alphaAt(chinOnly?.alpha ?? new Float32Array(), w, lm[8] as { x: number; y: number }),
        id,
      ).toBeGreaterThan(0.5);
      const chinOut = renderMask(face, 'chin-out', template, new SeededRandom(1));
      expect(
        alphaAt(chinOut?.alpha ?? new Float32Array(), w, lm[8] as { x: number; y: number }),
        id,
      ).toBeLessThan(0.1);
      expect(
        alphaAt(chinOut?.alpha ?? new Float32Array(), w, lm[51] as { x: number; y: number }),
        id,
      ).toBeGreaterThan(0.9);
    }
  });

  it('writes an ImageFolder + manifest from train faces only, counts skips, and reads back train-only', async () => {
    const root = mkdtempSync(join(tmpdir(), 'synth-run-'));
    // A user's faces folder: a real face crop plus a blank image, a noise image and a tiny one.
    const own = join(root, 'own');
    mkdirSync(own);
    const face = faces[0]?.face.crop;
    if (face) {
      await sharp(face.data, { raw: { width: face.width, height: face.height, channels: 3 } })
        .jpeg()
        .toFile(join(own, 'face.jpg'));
    }
    await sharp({ create: { width: 96, height: 96, channels: 3, background: '#808080' } })
      .png()
      .toFile(join(own, 'blank.png'));
    const rng = new SeededRandom(2);
    const noise = Buffer.from(Uint8Array.from({ length: 96 * 96 * 3 }, () => rng.int(256)));
    await sharp(noise, { raw: { width: 96, height: 96, channels: 3 } })
      .png()
      .toFile(join(own, 'noise.png'));
    await sharp({ create: { width: 20, height: 20, channels: 3, background: '#a08070' } })
      .png()
      .toFile(join(own, 'tiny.png'));
    const out = join(root, 'synth');
    const seed = 7;
    const manifest = (await synth({
      data: [kaggle],
      faces: [own],
      out,
      templates: templatesDir,
      seed,
      incorrectPerFace: 4,
      limit: 60,
      gallery: 4,
      backend: 'wasm',
      stdout: { write: () => true },
    })) as SynthManifest & { summary: { sourceFaces: number; skipped: Record<string, number> } };

    // Every data face is a no_mask face of the train split made by the same readers and seed.
    const { samples } = await readDataset([kaggle]);
    const split = splitDataset(samples, { seed });
    const trainIds = new Set(split.train.filter((s) => s.label === 'no_mask').map((s) => s.id));
    const heldOutPaths = new Set([...split.val, ...split.test].map((s) => s.path));
    const fromData = manifest.faces.filter((f) => f.source.origin === 'data');
    expect(fromData.length).toBeGreaterThan(20);
    for (const f of fromData) {
      expect(trainIds.has(f.source.id ?? ''), f.source.id).toBe(true);
      expect(heldOutPaths.has(f.source.path), f.source.path).toBe(false);
      expect(f.source.split).toBe('train');
      expect(existsSync(join(out, f.file))).toBe(true);
    }
    // One correct and all four incorrect variants per accepted face.
    const variants = new Set(manifest.faces.map((f) => f.variant));
    expect([...variants].sort()).toEqual(['chin-out', 'correct', 'mouth-nose-out', 'nose-out', 'under-chin']);
    // Skips are counted, and accepted + skipped = every source face.
    const skipped = manifest.summary.skipped;
    expect(skipped.tiny).toBeGreaterThanOrEqual(1); // tiny.png, plus small Kaggle faces
    expect(skipped.landmarks).toBeGreaterThanOrEqual(2); // blank.png and noise.png
    const listed = (manifest as unknown as { skipped: { id: string; reason: string }[] }).skipped;
    expect(listed.find((s) => s.id.endsWith('/blank.png'))?.reason).toBe('landmarks');
    expect(listed.find((s) => s.id.endsWith('/noise.png'))?.reason).toBe('landmarks');
    expect(listed.find((s) => s.id.endsWith('/tiny.png'))?.reason).toBe('tiny');
    const accepted = new Set(manifest.faces.map((f) => `${f.source.path}#${f.source.faceIndex}`));
    const skippedFaces = new Set(listed.map((s) => s.id));
    expect(accepted.size + skippedFaces.size).toBe(manifest.summary.sourceFaces);
    expect(
      manifest.faces.some((f) => f.source.origin === 'faces' && f.source.path.endsWith('face.jpg')),
    ).toBe(true);
    expect(existsSync(join(out, 'gallery.png'))).toBe(true);

    // Read back next to the real data with the same seed: all train, nothing to drop, real split unchanged.
    const both = await readDataset([kaggle, out]);
    expect(both.problems).toEqual([]);
    const synthetic = both.samples.filter((s) => s.source === out);
    expect(synthetic).toHaveLength(manifest.faces.length);
    const withSynth = splitDataset(both.samples, { seed });
    expect(withSynth.test.map((s) => s.id)).toEqual(split.test.map((s) => s.id));
    expect(dropLeakedSynthetic(withSynth, [kaggle, out]).dropped).toHaveLength(0);
    // Another seed moves some source photos to val/test: exactly their synthetic faces are dropped.
    const other = splitDataset(both.samples, { seed: seed + 1 });
    const check = dropLeakedSynthetic(other, [kaggle, out]);
    const moved = new Set([...other.val, ...other.test].map((s) => s.path));
    const expected = synthetic.filter(
      (s: FaceSample) => s.derivedFrom?.origin === 'data' && moved.has(s.derivedFrom.path),
    );
    expect(check.dropped.map((d) => d.sample.id).sort()).toEqual(expected.map((s) => s.id).sort());
    const json = JSON.parse(readFileSync(join(out, SYNTH_MANIFEST), 'utf8')) as {
      templates: { credit: string };
    };
    expect(json.templates.credit).toMatch(/MaskTheFace.*MIT/);
    writeFileSync(join(root, 'done'), '');
  });
});

describe.skipIf(!shared)('data synth reads label names as train does', () => {
  it('stops on an unknown label name (E_DATA) and takes --label-map / --skip-unknown-labels', async () => {
    const root = mkdtempSync(join(tmpdir(), 'synth-labels-'));
    const voc = join(root, 'voc');
    mkdirSync(join(voc, 'images'), { recursive: true });
    mkdirSync(join(voc, 'annotations'), { recursive: true });
    for (let i = 0; i < 4; i++) {
      await sharp({ create: { width: 64, height: 64, channels: 3, background: [40 * i, 90, 160] } })
        .jpeg()
        .toFile(join(voc, 'images', `p${i}.jpg`));
      writeFileSync(
        join(voc, 'annotations', `p${i}.xml`),
        `<annotation><filename>p${i}.jpg</filename><size><width>64</width><height>64</height><depth>3</depth></size>` +
          `<object><name>${i % 2 ? 'bare_face' : 'without_mask'}</name><bndbox><xmin>8</xmin><ymin>8</ymin><xmax>40</xmax><ymax>40</ymax></bndbox></object></annotation>`,
      );
    }
    const templates = join(shared ?? '', 'mask-templates');
    const base = { data: [voc], templates, stdout: { write: () => true } };
    const err = await synth({ ...base, out: join(root, 'a') }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'E_DATA' });
    expect(String((err as Error).message)).toContain('bare_face');
    // mapped: all four faces are no_mask source faces (too small here for masks: counted as skipped)
    const mapped = await synth({ ...base, out: join(root, 'b'), labelMap: ['bare_face=no_mask'] });
    const skipped = await synth({ ...base, out: join(root, 'c'), skipUnknownLabels: true });
    // train-split no_mask faces: from 4 photos when mapped, from the 2 known-label photos when skipped
    expect(mapped.summary.sourceFaces).toBeGreaterThan(skipped.summary.sourceFaces);
    expect(skipped.summary.sourceFaces).toBeLessThanOrEqual(2);
  }, 120_000);
});
