/**
 * One camera's way out for tracker events: drafts (with the Frigate-style start/end time, top score and
 * has_snapshot), snapshots encoded off the frame path, and the sink calls made in order on one promise
 * chain so frames are never held up by the broker or the disk.
 */
import { annotateImage } from '../../core/annotate-image.js';
import { cropRgb, encodeImage, expandBox, type RgbImage } from '../../core/image-io.js';
import type { Logger } from '../../core/logger.js';
import type { SnapshotsConfig } from '../config/pipeline-config.js';
import type { EventSink, MaskEvent } from '../events/event-types.js';
import type { TrackEvent } from '../tracking/iou-tracker.js';
import { toDraft } from './event-drafts.js';
import { TrackRecords } from './track-records.js';

export interface CameraEventsOptions {
  camera: string;
  sink: EventSink;
  logger: Logger;
  model: { name: string; version: string };
  snapshots?: SnapshotsConfig;
  /** Called for failures (counted and rate-limited by the pipeline). */
  onError: (kind: 'publish' | 'annotate', err: unknown) => void;
  /** Called with every event the sink accepted. */
  onPublished: (event: MaskEvent) => void;
}

export class CameraEvents {
  readonly records = new TrackRecords();
  private publishing: Promise<unknown> = Promise.resolve();
  private queued = 0;

  constructor(private readonly o: CameraEventsOptions) {}

  get queuedEvents(): number {
    return this.queued;
  }

  /** Resolves when every event handed over so far was stored (or failed). */
  settled(): Promise<unknown> {
    return this.publishing;
  }

  /** Hands events to the sink in order; snapshots (new/update only) follow their event. */
  emit(
    events: readonly TrackEvent[],
    image: RgbImage | undefined,
    frameSize: { width: number; height: number },
    liveTracks?: ReadonlySet<number>,
  ): void {
    for (const event of events) {
      const draft = {
        ...toDraft(event, this.o.camera, frameSize, this.o.model),
        ...this.records.fieldsFor(event),
      };
      const snapshots = this.o.snapshots;
      const snapshot =
        image && snapshots?.enabled && this.o.sink.publishSnapshot && event.type !== 'end'
          ? this.snapshotOf(image, event, snapshots)
          : undefined;
      this.queued += 1;
      this.publishing = this.publishing.then(async () => {
        try {
          const jpeg = await snapshot;
          if (jpeg) this.records.markSnapshot(event.trackId);
          const published = await this.o.sink.publishEvent({
            ...draft,
            has_snapshot: this.records.hasSnapshot(event.trackId),
          });
          this.o.onPublished(published);
          this.o.logger.info('event', {
            type: event.type,
            trackId: event.trackId,
            label: event.label,
            id: published.id,
          });
          if (jpeg && this.o.sink.publishSnapshot) {
            await this.o.sink.publishSnapshot(this.o.camera, jpeg, {
              kind: snapshots!.kind,
              eventId: published.id,
              trackId: event.trackId,
              label: event.label,
            });
          }
        } catch (err) {
          this.o.onError('publish', err);
        } finally {
          if (event.type === 'end') this.records.forget(event.trackId);
          this.queued -= 1;
        }
      });
    }
    if (liveTracks) {
      const upTo = this.records.maxId;
      this.publishing = this.publishing.then(() => this.records.retain(liveTracks, upTo));
    }
  }

  private async snapshotOf(
    image: RgbImage,
    event: TrackEvent,
    snapshots: SnapshotsConfig,
  ): Promise<Buffer | undefined> {
    try {
      if (snapshots.kind === 'face') {
        const region = expandBox(event.box, image.width, image.height, 0.2, true);
        return await encodeImage(cropRgb(image, region), 'jpeg', snapshots.quality);
      }
      return await annotateImage(image, [{ box: event.box, label: event.label, score: event.score }], {
        quality: snapshots.quality,
      });
    } catch (err) {
      this.o.onError('annotate', err);
      return undefined;
    }
  }
}
