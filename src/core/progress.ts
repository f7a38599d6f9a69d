import type { Logger } from './logger.js';

/** Where progress goes: a terminal stream (stderr by default) or anything with write(). */
export interface ProgressSink {
  write(text: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

export interface ProgressOptions {
  total: number;
  /** Shown before the bar, e.g. "student epoch 3/20". */
  label?: string;
  sink?: ProgressSink;
  /** Force the single updating bar (true) or plain lines (false); default: bar when the sink is a TTY. */
  tty?: boolean;
  /** Plain mode: log through this logger (JSON lines when not a TTY) instead of writing text lines. */
  logger?: Logger;
  /** Plain mode: at most one line per this many ms (default 10 s); the last step always prints. */
  intervalMs?: number;
  /** TTY mode: at most one redraw per this many ms (default 100). */
  redrawMs?: number;
  /** Clock in ms (tests inject one). */
  now?: () => number;
}

/** Named running figures shown next to the bar, e.g. { loss: 0.41, acc: 0.88 }. */
export type ProgressStats = Record<string, number | undefined>;

/**
 * Progress for long work: on a TTY one updating line `label [####----] 45/100 45% loss 0.4123 acc 0.876 ETA 1m02s`;
 * otherwise plain periodic lines (or logger records) with the same figures, so logs stay readable in files.
 */
export class ProgressReporter {
  private total: number;
  private readonly label: string;
  private readonly sink: ProgressSink;
  private readonly tty: boolean;
  private readonly logger: Logger | undefined;
  private readonly intervalMs: number;
  private readonly redrawMs: number;
  private readonly now: () => number;
  private readonly start: number;
  private done = 0;
  private stats: ProgressStats = {};
  private lastDraw = Number.NEGATIVE_INFINITY;
  private finished = false;

  constructor(options: ProgressOptions) {
    this.total = Math.max(0, options.total);
    this.label = options.label ?? '';
    this.sink = options.sink ?? process.stderr;
    this.tty = options.tty ?? Boolean(this.sink.isTTY);
    this.logger = options.logger;
    this.intervalMs = options.intervalMs ?? 10_000;
    this.redrawMs = options.redrawMs ?? 100;
    this.now = options.now ?? (() => Date.now());
    this.start = this.now();
  }

  /** Sets the absolute step count and the latest figures. */
  update(done: number, stats: ProgressStats = {}): void {
    if (this.finished) return;
    this.done = Math.max(0, Math.min(done, this.total || done));
    this.stats = { ...this.stats, ...stats };
    const t = this.now();
    const last = this.total > 0 && this.done >= this.total;
    if (!last && t - this.lastDraw < (this.tty ? this.redrawMs : this.intervalMs)) return;
    this.lastDraw = t;
    this.draw();
  }

  /** Advances by n steps. */
  tick(n = 1, stats: ProgressStats = {}): void {
    this.update(this.done + n, stats);
  }

  setTotal(total: number): void {
    this.total = Math.max(0, total);
  }

  /** Seconds left at the average rate so far; undefined before the first step. */
  etaSeconds(): number | undefined {
    if (this.done <= 0 || this.total <= 0) return undefined;
    const elapsed = (this.now() - this.start) / 1000;
    return (elapsed / this.done) * Math.max(0, this.total - this.done);
  }

  /** Draws the final state and ends the TTY line. */
  finish(stats: ProgressStats = {}): void {
    if (this.finished) return;
    this.stats = { ...this.stats, ...stats };
    if (this.total > 0) this.done = this.total;
    this.draw(true);
    this.finished = true;
  }

  private draw(final = false): void {
    const elapsed = (this.now() - this.start) / 1000;
    const eta = this.etaSeconds();
    const figures = formatStats(this.stats);
    const timing = final
      ? `in ${formatDuration(elapsed)}`
      : eta === undefined
        ? ''
        : `ETA ${formatDuration(eta)}`;
    const count = this.total > 0 ? `${this.done}/${this.total}` : String(this.done);
    if (this.tty) {
      const pct = this.total > 0 ? ` ${String(Math.floor((100 * this.done) / this.total)).padStart(3)}%` : '';
      const tail = ` ${count}${pct}${figures ? ` ${figures}` : ''}${timing ? ` ${timing}` : ''}`;
      const head = this.label ? `${this.label} ` : '';
      const columns = this.sink.columns ?? 100;
      const barWidth = Math.max(10, Math.min(30, columns - head.length - tail.length - 3));
      const filled = this.total > 0 ? Math.round((barWidth * this.done) / this.total) : 0;
      const bar = `[${'#'.repeat(filled)}${'-'.repeat(barWidth - filled)}]`;
      const line = `${head}${bar}${tail}`.slice(0, Math.max(20, columns - 1));
      this.sink.write(`\r\x1b[2K${line}${final ? '\n' : ''}`);
      return;
    }
    if (this.logger) {
      const fields: Record<string, unknown> = {
        step: this.done,
        total: this.total,
        ...cleanStats(this.stats),
      };
      if (final) fields.elapsedSec = Math.round(elapsed * 10) / 10;
      else if (eta !== undefined) fields.etaSec = Math.round(eta);
      this.logger.info(this.label || 'progress', fields);
      return;
    }
    const parts = [this.label, count, figures, timing].filter(Boolean);
    this.sink.write(`${parts.join(' ')}\n`);
  }
}

function cleanStats(stats: ProgressStats): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(stats)) {
    if (typeof v === 'number' && Number.isFinite(v)) out[k] = Number(v.toPrecision(5));
  }
  return out;
}

function formatStats(stats: ProgressStats): string {
  return Object.entries(cleanStats(stats))
    .map(([k, v]) => `${k} ${Math.abs(v) >= 100 ? v.toFixed(1) : v.toFixed(4)}`)
    .join(' ');
}

/** 75 -> "1m15s", 3725 -> "1h02m", 9.4 -> "9s". */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '?';
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}
