import { describe, expect, it } from 'vitest';
import type { Label } from '../../src/core/labels.js';
import { SettledLabels } from '../../src/edge/agent/settled-labels.js';
import type { Classification } from '../../src/edge/inference/mask-classifier.js';
import { IouTracker, type TrackEvent } from '../../src/edge/tracking/iou-tracker.js';

const result = (label: Label): Classification => ({ label, score: 0.9, probs: [0, 0, 0] });

/** The pipeline's loop for one person standing still whose true label is truth(frame). */
function simulate(every: number, truth: (frame: number) => Label, frames: number) {
  const tracker = new IouTracker({ stableFrames: 3, cooldownMs: 0 });
  const settled = new SettledLabels(every, 3);
  const box = { x: 100, y: 100, width: 80, height: 80 };
  let classified = 0;
  const events: (TrackEvent & { frame: number })[] = [];
  for (let f = 0; f < frames; f++) {
    const reused = settled.lookup(tracker, [box]);
    const fresh = reused[0] ? [undefined] : [result(truth(f))];
    if (fresh[0]) classified += 1;
    const c = (fresh[0] ?? reused[0])!;
    for (const e of tracker.update([{ box, label: c.label, score: c.score }], f * 100))
      events.push({ ...e, frame: f });
    settled.remember(tracker.lastAssignments, fresh, new Set(tracker.tracks().map((t) => t.id)));
  }
  return { classified, events };
}

describe('SettledLabels', () => {
  it('classifies a settled person once every N frames', () => {
    const { classified, events } = simulate(5, () => 'correct', 53);
    // 3 frames to settle, then frames 3..52 (50 frames) with one classification in five
    expect(classified).toBe(3 + 10);
    expect(events.map((e) => e.type)).toEqual(['new']);
  });

  it('still sees a mask taken off, within N + stableFrames frames', () => {
    const change = 20;
    const { events } = simulate(5, (f) => (f < change ? 'correct' : 'no_mask'), 40);
    const update = events.find((e) => e.type === 'update')!;
    expect(update.label).toBe('no_mask');
    expect(update.frame - change).toBeLessThan(5 + 3);
    expect(update.frame).toBeGreaterThanOrEqual(change + 2);
  });

  it('every = 1 classifies every frame', () => {
    expect(simulate(1, () => 'incorrect', 30).classified).toBe(30);
  });
});
