import { describe, expect, it } from 'vitest';
import type { Box } from '../../src/core/image-io.js';
import type { Label } from '../../src/core/labels.js';
import { greedyMatch, iou } from '../../src/edge/tracking/box-iou.js';
import { IouTracker, type TrackEvent, type TrackInput } from '../../src/edge/tracking/iou-tracker.js';

const FRAME_MS = 100;

function box(x: number, y: number, size = 80): Box {
  return { x, y, width: size, height: size };
}

/** Runs a whole synthetic sequence: frames[i] is the list of faces at time i * FRAME_MS. */
function run(tracker: IouTracker, frames: TrackInput[][]): TrackEvent[] {
  return frames.flatMap((faces, i) => tracker.update(faces, i * FRAME_MS));
}

function walker(steps: number, label: Label | ((i: number) => Label), start = 0, speed = 6): TrackInput[][] {
  return Array.from({ length: steps }, (_, i) => [
    { box: box(start + i * speed, 100), label: typeof label === 'function' ? label(i) : label, score: 0.9 },
  ]);
}

describe('iou', () => {
  it('is 1 for identical boxes, 0 for disjoint ones and symmetric in between', () => {
    expect(iou(box(0, 0), box(0, 0))).toBe(1);
    expect(iou(box(0, 0), box(200, 0))).toBe(0);
    const a = box(0, 0, 10);
    const b = box(5, 0, 10);
    // intersection 5x10 = 50, union 150
    expect(iou(a, b)).toBeCloseTo(50 / 150, 10);
    expect(iou(b, a)).toBeCloseTo(iou(a, b), 12);
  });

  it('greedy matching takes the best overlap first and uses each side once', () => {
    const tracks = [box(0, 0), box(100, 0)];
    const dets = [box(95, 0), box(5, 0), box(400, 400)];
    const m = greedyMatch(tracks, dets, 0.3);
    expect(m.map((x) => [x.track, x.detection]).sort()).toEqual([
      [0, 1],
      [1, 0],
    ]);
  });
});

describe('IouTracker', () => {
  it('one person walking through many frames gives exactly one new event and one end event', () => {
    const tracker = new IouTracker({ stableFrames: 3, maxAgeMs: 500 });
    const frames = [...walker(60, 'no_mask'), ...Array.from({ length: 10 }, () => [])];
    const events = run(tracker, frames);
    expect(events.map((e) => e.type)).toEqual(['new', 'end']);
    expect(events[0]).toMatchObject({ trackId: 1, label: 'no_mask' });
    // reported on the third frame (K = 3), with that frame's box
    expect(events[0]!.ts).toBe(2 * FRAME_MS);
    expect(events[0]!.box.x).toBe(2 * 6);
    expect(events[1]!.trackId).toBe(1);
    expect(tracker.counters.tracksStarted).toBe(1);
  });

  it('does not report a label until it has been stable for K frames', () => {
    const tracker = new IouTracker({ stableFrames: 4 });
    const flicker: Label[] = ['correct', 'no_mask', 'correct', 'no_mask', 'correct', 'correct', 'correct'];
    const events = run(
      tracker,
      flicker.map((label, i) => [{ box: box(i * 2, 50), label, score: 0.8 }]),
    );
    expect(events).toEqual([]);
    const next = tracker.update([{ box: box(16, 50), label: 'correct', score: 0.8 }], 700);
    expect(next.map((e) => [e.type, e.label])).toEqual([['new', 'correct']]);
  });

  it('emits one update per stable label change, carrying the previous label', () => {
    const tracker = new IouTracker({ stableFrames: 3, cooldownMs: 0 });
    const labels = (i: number): Label => (i < 10 ? 'correct' : i < 20 ? 'incorrect' : 'no_mask');
    const events = run(tracker, walker(30, labels));
    expect(events.map((e) => `${e.type}:${e.label}:${e.previousLabel ?? '-'}`)).toEqual([
      'new:correct:-',
      'update:incorrect:correct',
      'update:no_mask:incorrect',
    ]);
    expect(new Set(events.map((e) => e.trackId)).size).toBe(1);
  });

  it('holds back a label seen on the same track within the cool-down, then reports it once it has passed', () => {
    const tracker = new IouTracker({ stableFrames: 2, cooldownMs: 2000 });
    // correct (0-4), no_mask (5-9), correct again (10-39): the second 'correct' comes 1.0 s after the first
    const labels = (i: number): Label => (i >= 5 && i < 10 ? 'no_mask' : 'correct');
    const events = run(tracker, walker(40, labels, 0, 1));
    expect(events.map((e) => `${e.type}:${e.label}`)).toEqual([
      'new:correct',
      'update:no_mask',
      'update:correct',
    ]);
    const [first, , back] = events;
    expect(back!.ts - first!.ts).toBeGreaterThanOrEqual(2000);
    expect(tracker.counters.suppressed).toBeGreaterThan(0);
  });

  it('keeps people apart: two walkers passing each other at different heights keep their ids', () => {
    const tracker = new IouTracker({ stableFrames: 2 });
    const frames = Array.from({ length: 40 }, (_, i): TrackInput[] => [
      { box: box(i * 10, 0), label: 'correct', score: 0.9 },
      { box: box(400 - i * 10, 200), label: 'no_mask', score: 0.7 },
    ]);
    const events = run(tracker, frames);
    expect(events.map((e) => `${e.type}:${e.trackId}:${e.label}`).sort()).toEqual([
      'new:1:correct',
      'new:2:no_mask',
    ]);
    expect(tracker.counts()).toEqual({ correct: 1, incorrect: 0, no_mask: 1 });
  });

  it('survives a few missed detections within maxAge but splits a track after a long gap', () => {
    const tracker = new IouTracker({ stableFrames: 2, maxAgeMs: 300 });
    const face = (x: number): TrackInput[] => [{ box: box(x, 0), label: 'correct', score: 0.9 }];
    // frames 0-4 seen, 5-6 missed (200 ms), 7-9 seen: same track
    const short = run(tracker, [
      ...[0, 1, 2, 3, 4].map((i) => face(i * 3)),
      [],
      [],
      ...[7, 8, 9].map((i) => face(i * 3)),
    ]);
    expect(short.map((e) => e.type)).toEqual(['new']);
    // now a 1 s gap: the track ends, the person coming back is a new track and a new event
    const later = [10, 11, 12, 13].flatMap((i) => tracker.update(i === 10 ? [] : face(30), 900 + i * 100));
    expect(later.map((e) => `${e.type}:${e.trackId}`)).toEqual(['end:1', 'new:2']);
  });

  it('never reports a track that vanished before its label was stable, and does not end it either', () => {
    const tracker = new IouTracker({ stableFrames: 5, maxAgeMs: 200 });
    const events = run(tracker, [...walker(3, 'no_mask'), [], [], [], []]);
    expect(events).toEqual([]);
    expect(tracker.tracks()).toEqual([]);
    expect(tracker.counters.tracksEnded).toBe(1);
  });

  it('endAll ends reported tracks and clears counts', () => {
    const tracker = new IouTracker({ stableFrames: 1 });
    tracker.update([{ box: box(0, 0), label: 'incorrect', score: 0.6 }], 0);
    expect(tracker.counts().incorrect).toBe(1);
    const ended = tracker.endAll(50);
    expect(ended.map((e) => `${e.type}:${e.label}`)).toEqual(['end:incorrect']);
    expect(tracker.counts()).toEqual({ correct: 0, incorrect: 0, no_mask: 0 });
  });

  it('scores the new event with the mean probability over the stable frames', () => {
    const tracker = new IouTracker({ stableFrames: 3 });
    const scores = [0.6, 0.7, 0.95];
    const events = scores.flatMap((score, i) =>
      tracker.update([{ box: box(i, 0), label: 'no_mask', score }], i * FRAME_MS),
    );
    expect(events[0]!.score).toBeCloseTo((0.6 + 0.7 + 0.95) / 3, 10);
  });

  it('match() predicts the assignment update() then makes, without changing anything', () => {
    const tracker = new IouTracker({ stableFrames: 2 });
    tracker.update(
      [
        { box: box(0, 0), label: 'correct', score: 0.9 },
        { box: box(300, 0), label: 'no_mask', score: 0.8 },
      ],
      0,
    );
    const [a, b] = tracker.lastAssignments;
    const next = [box(302, 2), box(500, 300), box(3, 1)];
    const predicted = tracker.match(next).map((v) => v?.id);
    expect(predicted).toEqual([b, undefined, a]);
    expect(tracker.tracks().map((t) => t.hits)).toEqual([1, 1]);
    tracker.update(
      next.map((bx) => ({ box: bx, label: 'correct' as const, score: 0.9 })),
      100,
    );
    expect(tracker.lastAssignments[0]).toBe(b);
    expect(tracker.lastAssignments[2]).toBe(a);
    expect(tracker.lastAssignments[1]).toBe(3);
  });

  it('rejects nonsense options', () => {
    expect(() => new IouTracker({ stableFrames: 0 })).toThrow(RangeError);
    expect(() => new IouTracker({ iouThreshold: 0 })).toThrow(RangeError);
  });
});
