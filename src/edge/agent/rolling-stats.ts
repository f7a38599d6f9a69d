/**
 * Small rolling statistics for the stats message: latency percentiles over the last N samples and an event
 * rate over a time window.
 */

/** The last `capacity` samples; percentiles by nearest rank. */
export class LatencyWindow {
  private readonly samples: number[] = [];
  private next = 0;

  constructor(private readonly capacity = 500) {}

  add(ms: number): void {
    if (!Number.isFinite(ms)) return;
    if (this.samples.length < this.capacity) this.samples.push(ms);
    else this.samples[this.next] = ms;
    this.next = (this.next + 1) % this.capacity;
  }

  get count(): number {
    return this.samples.length;
  }

  /** Nearest-rank percentile (p in 0..100); 0 when empty. */
  percentile(p: number): number {
    if (this.samples.length === 0) return 0;
    const sorted = [...this.samples].sort((a, b) => a - b);
    const rank = Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length)));
    return sorted[rank - 1]!;
  }

  summary(): { p50: number; p95: number } {
    return { p50: round1(this.percentile(50)), p95: round1(this.percentile(95)) };
  }
}

/** Events per second over the last `windowMs` (e.g. processed frames). */
export class RateMeter {
  private readonly times: number[] = [];

  constructor(private readonly windowMs = 10_000) {}

  mark(now = Date.now()): void {
    this.times.push(now);
    this.trim(now);
  }

  rate(now = Date.now()): number {
    this.trim(now);
    if (this.times.length === 0) return 0;
    const span = Math.max(1000, now - this.times[0]!);
    return round1((this.times.length / span) * 1000);
  }

  private trim(now: number): void {
    while (this.times.length && now - this.times[0]! > this.windowMs) this.times.shift();
    if (this.times.length > 100_000) this.times.splice(0, this.times.length - 100_000);
  }
}

export function round1(v: number): number {
  return Math.round(v * 10) / 10;
}
