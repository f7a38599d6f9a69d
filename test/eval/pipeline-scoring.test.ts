import { describe, expect, it } from 'vitest';
import type { Label } from '../../src/core/labels.js';
import { type PhotoResult, scorePipeline } from '../../src/edge/eval/pipeline-eval.js';

const box = (x: number, y: number, s: number) => ({ x, y, width: s, height: s });
const cls = (label: Label, probs: [number, number, number]) => ({ label, score: Math.max(...probs), probs });

describe('scorePipeline', () => {
  // Photo P: a 40px no_mask face (found, classified right), a 40px correct face (found, classified no_mask),
  // a 10px correct face (found by a detection, but small), a 30px incorrect face (missed);
  // one false positive at 0.6 and one low-score detection (0.2) below the operating threshold.
  const photos = new Map<string, PhotoResult>([
    [
      'P',
      {
        truths: [
          { box: box(0, 0, 40), label: 'no_mask', ignore: false },
          { box: box(100, 0, 40), label: 'correct', ignore: false },
          { box: box(200, 0, 10), label: 'correct', ignore: false },
          { box: box(300, 0, 30), label: 'incorrect', ignore: false },
        ],
        detections: [
          { box: box(0, 0, 40), score: 0.95, cls: cls('no_mask', [0.1, 0.1, 0.8]) },
          { box: box(100, 0, 40), score: 0.9, cls: cls('no_mask', [0.3, 0.1, 0.6]) },
          { box: box(200, 0, 10), score: 0.8, cls: cls('correct', [0.9, 0.05, 0.05]) },
          { box: box(500, 500, 40), score: 0.6, cls: cls('correct', [0.7, 0.2, 0.1]) },
          { box: box(300, 0, 30), score: 0.2, cls: cls('incorrect', [0.1, 0.8, 0.1]) },
        ],
      },
    ],
  ]);

  it('counts recall, precision and end-to-end accuracy at the operating threshold', () => {
    const m = scorePipeline(photos, { minFace: 0, minScore: 0.5, thr: 0.5, problems: [] });
    expect(m.faces).toBe(4);
    expect(m.detected).toBe(3);
    expect(m.recall).toBeCloseTo(3 / 4, 10);
    expect(m.falsePositives).toBe(1);
    expect(m.precision).toBeCloseTo(3 / 4, 10);
    // Matched: no_mask->no_mask, correct->no_mask, correct->correct.
    expect(m.endToEndAccuracy).toBeCloseTo(2 / 3, 10);
    expect(m.recallByLabel.incorrect).toMatchObject({ faces: 1, detected: 0 });
    expect(m.recallByLabel.correct).toMatchObject({ faces: 2, detected: 2 });
  });

  it('--min-face leaves small faces out and does not count their detections as false positives', () => {
    const small = new Map(
      [...photos].map(([k, p]) => [
        k,
        { ...p, truths: p.truths.map((t) => ({ ...t, ignore: t.box.width < 24 })) },
      ]),
    );
    const m = scorePipeline(small, { minFace: 24, minScore: 0.5, thr: 0.5, problems: [] });
    expect(m.faces).toBe(3);
    expect(m.ignoredFaces).toBe(1);
    expect(m.detected).toBe(2);
    expect(m.falsePositives).toBe(1);
    expect(m.precision).toBeCloseTo(2 / 3, 10);
    expect(m.endToEndAccuracy).toBeCloseTo(1 / 2, 10);
  });

  it('mAP@0.5 ranks every detection by det score x class probability, per label', () => {
    const m = scorePipeline(photos, { minFace: 0, minScore: 0.5, thr: 0.5, problems: [] });
    // no_mask: scores 0.76 (TP), 0.54 (FP, a correct face), 0.06 (FP), 0.04, 0.02 -> 1 positive found first: AP 1.
    expect(m.ap50.no_mask).toBeCloseTo(1, 10);
    // correct: 0.72 (small correct face, TP), 0.42 (FP), 0.27 (the 40px correct face, TP), 0.095, 0.02
    // precision 1, 1/2, 2/3 at recall 1/2, 1/2, 1 -> AP = 1/2 * 1 + 1/2 * 2/3 = 5/6.
    expect(m.ap50.correct).toBeCloseTo(5 / 6, 10);
    // incorrect: only true detection is the 0.2-score one: 0.16 ranks after 0.12 (FP)? 0.6*0.2=0.12, 0.9*0.1=0.09,
    // 0.95*0.1=0.095, 0.8*0.05=0.04, 0.2*0.8=0.16 -> TP first: AP 1 (low-score detections still count for mAP).
    expect(m.ap50.incorrect).toBeCloseTo(1, 10);
    expect(m.mAP50).toBeCloseTo((1 + 5 / 6 + 1) / 3, 10);
  });
});
