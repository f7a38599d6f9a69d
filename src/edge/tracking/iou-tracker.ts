/**
 * A light IoU tracker for one camera. Pure: it sees (boxes, labels, time) and returns events, nothing else.
 *
 * - Each face detection is matched to an existing track by greedy IoU; unmatched detections start tracks.
 * - A track's label is reported only once the classifier has given the same label for `stableFrames`
 *   consecutive matched frames: `new` the first time, `update` when a different label becomes stable.
 * - A label is not re-reported on the same track within `cooldownMs` of its last report on that track
 *   (a flickering classifier can't flood consumers); the report waits until the cool-down has passed and
 *   the label is still stable.
 * - A track nobody has matched for `maxAgeMs` ends; `end` is emitted for tracks that were ever reported.
 */
import type { Box } from '../../core/image-io.js';
import { LABELS, type Label } from '../../core/labels.js';
import { greedyMatch } from './box-iou.js';

export interface TrackerOptions {
  /** Minimum IoU between a track's last box and a detection to be the same person. */
  iouThreshold: number;
  /** A track unmatched for this long (frame time, ms) has left. */
  maxAgeMs: number;
  /** Consecutive frames with the same label before that label is reported. */
  stableFrames: number;
  /** Minimum time between two reports of the same label on the same track (ms). */
  cooldownMs: number;
}

export const DEFAULT_TRACKER_OPTIONS: TrackerOptions = {
  iouThreshold: 0.3,
  maxAgeMs: 1500,
  stableFrames: 3,
  cooldownMs: 30_000,
};

/** One classified face in a frame. */
export interface TrackInput {
  box: Box;
  label: Label;
  /** Classifier probability of `label`. */
  score: number;
}

export type TrackEventType = 'new' | 'update' | 'end';

export interface TrackEvent {
  type: TrackEventType;
  trackId: number;
  label: Label;
  /** Mean classifier probability of `label` over the frames that made it stable (last value for `end`). */
  score: number;
  box: Box;
  /** Frame time (ms) of the frame that produced the event. */
  ts: number;
  /** For `update`: the label reported before. */
  previousLabel?: Label;
}

/** A read-only view of a live track. */
export interface TrackView {
  id: number;
  box: Box;
  /** Label reported to consumers (undefined until a label has been stable for `stableFrames`). */
  reportedLabel: Label | undefined;
  candidateLabel: Label;
  candidateFrames: number;
  hits: number;
  lastSeen: number;
}

interface Track {
  id: number;
  box: Box;
  hits: number;
  firstSeen: number;
  lastSeen: number;
  candidate: Label;
  candidateScores: number[];
  reported: Label | undefined;
  reportedScore: number;
  lastReportAt: Partial<Record<Label, number>>;
}

export interface TrackerCounters {
  tracksStarted: number;
  tracksEnded: number;
  /** Frames on which a stable label change was held back by the cool-down. */
  suppressed: number;
}

export class IouTracker {
  readonly options: TrackerOptions;
  private readonly live: Track[] = [];
  private nextId = 1;
  private lastTs = Number.NEGATIVE_INFINITY;
  readonly counters: TrackerCounters = { tracksStarted: 0, tracksEnded: 0, suppressed: 0 };
  /** The track id each detection of the last update() went to (same order as its input). */
  lastAssignments: number[] = [];

  constructor(options: Partial<TrackerOptions> = {}) {
    this.options = { ...DEFAULT_TRACKER_OPTIONS, ...options };
    if (!(this.options.stableFrames >= 1)) throw new RangeError('stableFrames must be at least 1');
    if (!(this.options.iouThreshold > 0 && this.options.iouThreshold <= 1)) {
      throw new RangeError('iouThreshold must be in (0, 1]');
    }
  }

  /**
   * Feeds one processed frame (all classified faces, possibly none) taken at `ts` ms. Frames must come in
   * time order; an out-of-order frame is treated as happening at the latest time seen.
   */
  update(detections: readonly TrackInput[], ts: number): TrackEvent[] {
    const now = Math.max(ts, this.lastTs);
    this.lastTs = now;
    const events: TrackEvent[] = [];
    const matches = greedyMatch(
      this.live.map((t) => t.box),
      detections.map((d) => d.box),
      this.options.iouThreshold,
    );
    const matchedDetections = new Set<number>();
    const assigned: number[] = new Array(detections.length);
    for (const m of matches) {
      matchedDetections.add(m.detection);
      const track = this.live[m.track]!;
      assigned[m.detection] = track.id;
      this.observe(track, detections[m.detection]!, now, events);
    }
    // Unmatched tracks age; the ones past maxAge end.
    for (let i = this.live.length - 1; i >= 0; i--) {
      const track = this.live[i]!;
      if (track.lastSeen < now && now - track.lastSeen > this.options.maxAgeMs) {
        this.live.splice(i, 1);
        this.finish(track, now, events);
      }
    }
    detections.forEach((d, i) => {
      if (matchedDetections.has(i)) return;
      const track: Track = {
        id: this.nextId++,
        box: { ...d.box },
        hits: 0,
        firstSeen: now,
        lastSeen: now,
        candidate: d.label,
        candidateScores: [],
        reported: undefined,
        reportedScore: 0,
        lastReportAt: {},
      };
      this.counters.tracksStarted += 1;
      this.live.push(track);
      assigned[i] = track.id;
      this.observe(track, d, now, events);
    });
    this.lastAssignments = assigned;
    return events;
  }

  /**
   * The live track each box would be matched to by `update` (same matching, no state change); undefined for
   * boxes that would start a new track. Lets a caller skip work for people whose label is already settled.
   */
  match(boxes: readonly Box[]): (TrackView | undefined)[] {
    const views = this.tracks();
    const out: (TrackView | undefined)[] = boxes.map(() => undefined);
    for (const m of greedyMatch(
      this.live.map((t) => t.box),
      boxes,
      this.options.iouThreshold,
    )) {
      out[m.detection] = views[m.track];
    }
    return out;
  }

  /** Ends every live track (camera lost, agent stopping). */
  endAll(ts: number): TrackEvent[] {
    const now = Math.max(ts, this.lastTs);
    const events: TrackEvent[] = [];
    for (const track of this.live.splice(0)) this.finish(track, now, events);
    return events;
  }

  /** People currently seen per reported label (tracks not yet reported are not counted). */
  counts(): Record<Label, number> {
    const out = Object.fromEntries(LABELS.map((l) => [l, 0])) as Record<Label, number>;
    for (const track of this.live) if (track.reported) out[track.reported] += 1;
    return out;
  }

  tracks(): TrackView[] {
    return this.live.map((t) => ({
      id: t.id,
      box: { ...t.box },
      reportedLabel: t.reported,
      candidateLabel: t.candidate,
      candidateFrames: t.candidateScores.length,
      hits: t.hits,
      lastSeen: t.lastSeen,
    }));
  }

  private observe(track: Track, d: TrackInput, now: number, events: TrackEvent[]): void {
    track.box = { ...d.box };
    track.lastSeen = now;
    track.hits += 1;
    if (d.label === track.candidate) {
      track.candidateScores.push(d.score);
      if (track.candidateScores.length > this.options.stableFrames) track.candidateScores.shift();
    } else {
      track.candidate = d.label;
      track.candidateScores = [d.score];
    }
    if (track.candidateScores.length < this.options.stableFrames) return;
    if (track.candidate === track.reported) {
      track.reportedScore = d.score;
      return;
    }
    const last = track.lastReportAt[track.candidate];
    if (track.reported !== undefined && last !== undefined && now - last < this.options.cooldownMs) {
      this.counters.suppressed += 1;
      return;
    }
    const score = mean(track.candidateScores);
    const event: TrackEvent = {
      type: track.reported === undefined ? 'new' : 'update',
      trackId: track.id,
      label: track.candidate,
      score,
      box: { ...track.box },
      ts: now,
    };
    if (track.reported !== undefined) event.previousLabel = track.reported;
    track.reported = track.candidate;
    track.reportedScore = score;
    track.lastReportAt[track.candidate] = now;
    events.push(event);
  }

  private finish(track: Track, now: number, events: TrackEvent[]): void {
    this.counters.tracksEnded += 1;
    if (track.reported === undefined) return;
    events.push({
      type: 'end',
      trackId: track.id,
      label: track.reported,
      score: track.reportedScore,
      box: { ...track.box },
      ts: now,
    });
  }
}

function mean(values: readonly number[]): number {
  return values.reduce((a, b) => a + b, 0) / Math.max(1, values.length);
}
