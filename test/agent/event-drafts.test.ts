import { describe, expect, it } from 'vitest';
import { toDraft, toSourceStatus } from '../../src/edge/agent/event-drafts.js';
import { eventDraftSchema } from '../../src/edge/events/event-types.js';

describe('event drafts', () => {
  const frame = { width: 640, height: 480 };
  const model = { name: 'student', version: '3' };

  it('clips a box that sticks out of the frame and rounds it, keeping the schema', () => {
    const draft = toDraft(
      {
        type: 'new',
        trackId: 7,
        label: 'no_mask',
        score: 0.876543,
        ts: Date.UTC(2026, 0, 2, 3, 4, 5),
        box: { x: -10.26, y: 400.04, width: 100, height: 100 },
      },
      'door',
      frame,
      model,
    );
    expect(draft).toEqual({
      camera: 'door',
      ts: '2026-01-02T03:04:05.000Z',
      type: 'new',
      trackId: 7,
      label: 'no_mask',
      score: 0.8765,
      box: [0, 400, 89.7, 80],
      frame,
      model,
    });
    expect(eventDraftSchema.safeParse(draft).success).toBe(true);
  });

  it('keeps scores inside [0, 1]', () => {
    const draft = toDraft(
      {
        type: 'end',
        trackId: 1,
        label: 'correct',
        score: 1.0000001,
        ts: 0,
        box: { x: 1, y: 2, width: 3, height: 4 },
      },
      'c',
      frame,
      model,
    );
    expect(draft.score).toBe(1);
  });

  it("passes a source's counters along and maps capped frames to droppedFrames", () => {
    const status = toSourceStatus({
      type: 'ffmpeg',
      input: 'rtsp://***@cam/1',
      state: 'offline',
      since: 'x',
      error: 'Connection refused',
      frames: 10,
      capped: 3,
      badFrames: 1,
      restarts: 2,
      watchdogRestarts: 0,
      fps: 0,
    });
    expect(status).toMatchObject({
      state: 'offline',
      error: 'Connection refused',
      restarts: 2,
      droppedFrames: 3,
      badFrames: 1,
    });
  });
});
