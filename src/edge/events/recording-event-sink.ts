import { randomUUID } from 'node:crypto';
import { MaskEdgeError } from '../../core/errors.js';
import {
  type CameraState,
  type EventDraft,
  type EventSink,
  eventDraftSchema,
  fullCounts,
  type LabelCounts,
  type MaskEvent,
  maskEventSchema,
  type RuntimeStats,
  type SnapshotMeta,
  type SourceStatus,
} from './event-types.js';

/**
 * An in-memory sink for tests: validates every draft against the schema (so a runtime that emits a bad
 * event fails loudly), numbers events like the real sink and keeps everything it was given.
 */
export class RecordingEventSink implements EventSink {
  readonly events: MaskEvent[] = [];
  readonly states: CameraState[] = [];
  readonly stats: RuntimeStats[] = [];
  readonly sourceStates: { camera: string; status: SourceStatus }[] = [];
  readonly snapshots: { camera: string; bytes: number; meta: SnapshotMeta }[] = [];
  closed = false;
  private seq: number;

  constructor(
    readonly device = 'test-device',
    firstSeq = 1,
  ) {
    this.seq = firstSeq - 1;
  }

  async publishEvent(draft: EventDraft): Promise<MaskEvent> {
    const parsed = eventDraftSchema.safeParse(draft);
    if (!parsed.success) {
      throw new MaskEdgeError('E_INTERNAL', 'runtime produced an event that breaks the schema', {
        detail: { issues: parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`), draft },
      });
    }
    this.seq += 1;
    const event = maskEventSchema.parse({
      ...parsed.data,
      id: randomUUID(),
      seq: this.seq,
      device: this.device,
      ts: parsed.data.ts ?? new Date().toISOString(),
    });
    this.events.push(event);
    return event;
  }

  async publishState(camera: string, counts: Partial<LabelCounts>): Promise<void> {
    const full = fullCounts(counts);
    const total = Object.values(full).reduce((a, b) => a + b, 0);
    this.states.push({ device: this.device, camera, ts: new Date().toISOString(), counts: full, total });
  }

  async publishStats(stats: RuntimeStats): Promise<void> {
    this.stats.push(stats);
  }

  setSourceState(camera: string, status: SourceStatus): void {
    this.sourceStates.push({ camera, status });
  }

  async publishSnapshot(camera: string, jpeg: Buffer, meta: SnapshotMeta): Promise<void> {
    this.snapshots.push({ camera, bytes: jpeg.length, meta });
  }

  async close(): Promise<void> {
    this.closed = true;
  }

  /** Latest state per camera. */
  lastState(camera: string): CameraState | undefined {
    return this.states.filter((s) => s.camera === camera).at(-1);
  }
}
