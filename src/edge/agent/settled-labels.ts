/**
 * Skips classifying people whose label is settled: a face matched to a track whose reported label has been
 * stable for `stableFrames` frames reuses that track's last classification for up to `every - 1` frames, then
 * is classified again (so a mask taken off is still seen within `every` frames). New, unsettled or changing
 * tracks are classified on every frame. `every = 1` turns this off.
 */
import type { Box } from '../../core/image-io.js';
import type { Classification } from '../inference/mask-classifier.js';
import type { IouTracker } from '../tracking/iou-tracker.js';

export class SettledLabels {
  private readonly cache = new Map<number, { result: Classification; uses: number }>();

  constructor(
    private readonly every: number,
    private readonly stableFrames: number,
  ) {}

  /** Per face: the cached classification of its settled track while still fresh, else undefined (classify it). */
  lookup(tracker: IouTracker, boxes: readonly Box[]): (Classification | undefined)[] {
    if (this.every <= 1) return boxes.map(() => undefined);
    return tracker.match(boxes).map((view) => {
      if (!view?.reportedLabel || view.candidateLabel !== view.reportedLabel) return undefined;
      if (view.candidateFrames < this.stableFrames) return undefined;
      const entry = this.cache.get(view.id);
      if (!entry || entry.result.label !== view.reportedLabel || entry.uses >= this.every - 1)
        return undefined;
      entry.uses += 1;
      return entry.result;
    });
  }

  /** After the tracker's update: keep the fresh classifications by track id, forget tracks that left. */
  remember(
    assignments: readonly number[],
    fresh: readonly (Classification | undefined)[],
    live: Set<number>,
  ): void {
    if (this.every <= 1) return;
    fresh.forEach((result, i) => {
      const id = assignments[i];
      if (result && id !== undefined) this.cache.set(id, { result, uses: 0 });
    });
    for (const id of this.cache.keys()) if (!live.has(id)) this.cache.delete(id);
  }

  get size(): number {
    return this.cache.size;
  }
}
