import { describe, expect, it } from 'vitest';
import { detectionSchema } from '../../src/edge/config/pipeline-config.js';
import { decideLabel, decideLabelIndex } from '../../src/edge/inference/label-decision.js';

describe('label decision (detection.correctMinProbability, eval --correct-min)', () => {
  it('without a minimum: the most likely label', () => {
    expect(decideLabelIndex([0.7, 0.2, 0.1])).toBe(0);
    expect(decideLabelIndex([0.2, 0.3, 0.5])).toBe(2);
    expect(decideLabelIndex([0.2, 0.5, 0.3])).toBe(1);
  });

  it('with a minimum: correct only at or above it, else the likelier of incorrect / no_mask', () => {
    expect(decideLabelIndex([0.7, 0.2, 0.1], 0.8)).toBe(1);
    expect(decideLabelIndex([0.7, 0.1, 0.2], 0.8)).toBe(2);
    expect(decideLabelIndex([0.8, 0.1, 0.1], 0.8)).toBe(0);
    // a low minimum can call correct a face whose likeliest label is another one: fewer alerts
    expect(decideLabelIndex([0.35, 0.4, 0.25], 0.3)).toBe(0);
    // labels other than correct are never turned into correct by a high minimum
    expect(decideLabelIndex([0.1, 0.1, 0.8], 0.99)).toBe(2);
  });

  it('decideLabel keeps the probabilities and gives the decided label its own probability as the score', () => {
    const c = { label: 'correct' as const, score: 0.7, probs: [0.7, 0.2, 0.1] };
    expect(decideLabel(c)).toBe(c);
    expect(decideLabel(c, 0.9)).toEqual({ label: 'incorrect', score: 0.2, probs: [0.7, 0.2, 0.1] });
  });

  it('the config field takes a probability strictly between 0 and 1', () => {
    const parse = (v: unknown) => detectionSchema.safeParse({ correctMinProbability: v });
    expect(detectionSchema.parse({}).correctMinProbability).toBeUndefined();
    expect(parse(0.9).success).toBe(true);
    for (const bad of [0, 1, 1.5, -0.1, '0.9']) expect(parse(bad).success).toBe(false);
  });
});
