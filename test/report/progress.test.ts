import { describe, expect, it } from 'vitest';
import { Logger } from '../../src/core/logger.js';
import { formatDuration, ProgressReporter } from '../../src/core/progress.js';

function sink(isTTY: boolean) {
  const writes: string[] = [];
  return { writes, isTTY, columns: 120, write: (t: string) => writes.push(t) };
}

describe('ProgressReporter', () => {
  it('draws one updating bar with figures and ETA on a TTY', () => {
    let t = 0;
    const s = sink(true);
    const p = new ProgressReporter({ total: 10, label: 'student', sink: s, now: () => t });
    t = 2000;
    p.update(4, { loss: 0.5, acc: 0.75 });
    const line = s.writes.at(-1)!;
    expect(line.startsWith('\r\x1b[2K')).toBe(true);
    expect(line).not.toContain('\n');
    expect(line).toContain('4/10');
    expect(line).toContain('40%');
    expect(line).toContain('loss 0.5000');
    expect(line).toContain('acc 0.7500');
    // 2 s for 4 steps -> 3 s for the remaining 6
    expect(line).toContain('ETA 3s');
    expect(line).toMatch(/\[#{12}-{18}\]/);
    p.finish({ loss: 0.2 });
    expect(s.writes.at(-1)!.endsWith('\n')).toBe(true);
    expect(s.writes.at(-1)).toContain('10/10');
    expect(s.writes.at(-1)).toContain('in 2s');
  });

  it('throttles TTY redraws but always draws the last step', () => {
    let t = 0;
    const s = sink(true);
    const p = new ProgressReporter({ total: 100, sink: s, now: () => t, redrawMs: 100 });
    for (let i = 1; i <= 100; i++) {
      t += 10;
      p.update(i);
    }
    expect(s.writes.length).toBeGreaterThanOrEqual(9);
    expect(s.writes.length).toBeLessThanOrEqual(12);
    expect(s.writes.at(-1)).toContain('100/100');
  });

  it('writes plain periodic lines when not a TTY', () => {
    let t = 0;
    const s = sink(false);
    const p = new ProgressReporter({ total: 50, label: 'teacher', sink: s, now: () => t, intervalMs: 1000 });
    for (let i = 1; i <= 50; i++) {
      t += 100;
      p.tick(1, { loss: 1 / i });
    }
    expect(s.writes.every((w) => w.endsWith('\n') && !w.includes('\r'))).toBe(true);
    expect(s.writes.length).toBeGreaterThanOrEqual(4);
    expect(s.writes.length).toBeLessThanOrEqual(7);
    expect(s.writes[0]).toMatch(/^teacher 1\/50 loss 1\.0000 ETA 5s\n$/);
    expect(s.writes.at(-1)).toContain('50/50');
  });

  it('logs structured records through a logger', () => {
    const lines: string[] = [];
    const logger = new Logger({ json: true, sink: { write: (l) => lines.push(l) } });
    let t = 0;
    const p = new ProgressReporter({
      total: 4,
      label: 'epoch',
      logger,
      tty: false,
      now: () => t,
      intervalMs: 0,
    });
    t = 1000;
    p.update(2, { loss: 0.25 });
    const rec = JSON.parse(lines[0]!);
    expect(rec).toMatchObject({ msg: 'epoch', step: 2, total: 4, loss: 0.25, etaSec: 1 });
  });

  it('formats durations', () => {
    expect(formatDuration(9.4)).toBe('9s');
    expect(formatDuration(75)).toBe('1m15s');
    expect(formatDuration(3725)).toBe('1h02m');
    expect(formatDuration(Number.NaN)).toBe('?');
  });
});
