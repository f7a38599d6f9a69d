import { describe, expect, it } from 'vitest';
import { maskEventSchema } from '../../src/edge/events/event-types.js';
import { RecordingEventSink } from '../../src/edge/events/recording-event-sink.js';

const draft = {
  camera: 'door',
  type: 'new' as const,
  trackId: 3,
  label: 'no_mask' as const,
  score: 0.91,
  box: [10, 20, 64, 80] as [number, number, number, number],
  frame: { width: 640, height: 480 },
  model: { name: 'mask-classifier', version: '1.0.0' },
};

describe('event schema and recording sink', () => {
  it('numbers events per device, assigns unique ids and ISO times that pass the schema', async () => {
    const sink = new RecordingEventSink('dev-1', 5);
    const a = await sink.publishEvent(draft);
    const b = await sink.publishEvent({ ...draft, type: 'end', ts: '2026-01-02T03:04:05.678Z' });
    expect([a.seq, b.seq]).toEqual([5, 6]);
    expect(a.id).not.toBe(b.id);
    expect(a.device).toBe('dev-1');
    expect(b.ts).toBe('2026-01-02T03:04:05.678Z');
    expect(maskEventSchema.safeParse(a).success).toBe(true);
  });

  it('rejects drafts that break the schema, naming the field', async () => {
    const sink = new RecordingEventSink();
    await expect(sink.publishEvent({ ...draft, label: 'maybe' as never })).rejects.toMatchObject({
      code: 'E_INTERNAL',
      detail: { issues: [expect.stringContaining('label')] },
    });
    await expect(sink.publishEvent({ ...draft, score: 1.5 })).rejects.toMatchObject({ code: 'E_INTERNAL' });
    expect(
      maskEventSchema.safeParse({ ...draft, id: 'x', seq: 1, device: 'd', ts: 'yesterday' }).success,
    ).toBe(false);
    expect(sink.events).toHaveLength(0);
  });

  it('fills missing labels with zero in camera state', async () => {
    const sink = new RecordingEventSink();
    await sink.publishState('door', { no_mask: 2 });
    expect(sink.lastState('door')).toMatchObject({
      counts: { correct: 0, incorrect: 0, no_mask: 2 },
      total: 2,
    });
  });
});
