/**
 * A small structured logger: readable lines on a TTY, JSON lines otherwise (journald, files, pipes).
 * Secrets never reach it: callers pass config through `redact` before logging it, and every line loses the
 * user info of any URL it holds (`rtsp://user:pass@cam` is written `rtsp://***@cam`).
 */
import { redactUrlCredentials } from './secret-text.js';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
const LEVEL_RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export interface LogSink {
  write(line: string): void;
  isTTY?: boolean;
}

export interface LoggerOptions {
  level?: LogLevel;
  /** Force JSON lines (true) or pretty lines (false); default: JSON unless the sink is a TTY. */
  json?: boolean;
  sink?: LogSink;
  bindings?: Record<string, unknown>;
}

export class Logger {
  private readonly level: LogLevel;
  private readonly json: boolean;
  private readonly sink: LogSink;
  private readonly bindings: Record<string, unknown>;

  constructor(options: LoggerOptions = {}) {
    this.sink = options.sink ?? process.stderr;
    this.level = options.level ?? (process.env.MASK_EDGE_LOG_LEVEL as LogLevel | undefined) ?? 'info';
    this.json = options.json ?? !this.sink.isTTY;
    this.bindings = options.bindings ?? {};
  }

  child(bindings: Record<string, unknown>): Logger {
    return new Logger({
      level: this.level,
      json: this.json,
      sink: this.sink,
      bindings: { ...this.bindings, ...bindings },
    });
  }

  debug(msg: string, fields?: Record<string, unknown>): void {
    this.log('debug', msg, fields);
  }
  info(msg: string, fields?: Record<string, unknown>): void {
    this.log('info', msg, fields);
  }
  warn(msg: string, fields?: Record<string, unknown>): void {
    this.log('warn', msg, fields);
  }
  error(msg: string, fields?: Record<string, unknown>): void {
    this.log('error', msg, fields);
  }

  log(level: LogLevel, msg: string, fields: Record<string, unknown> = {}): void {
    if (LEVEL_RANK[level] < LEVEL_RANK[this.level]) return;
    const all = { ...this.bindings, ...fields };
    if (this.json) {
      this.sink.write(
        `${redactUrlCredentials(JSON.stringify({ ts: new Date().toISOString(), level, msg, ...all }, jsonReplacer))}\n`,
      );
      return;
    }
    const extra = Object.entries(all)
      .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v, jsonReplacer)}`)
      .join(' ');
    this.sink.write(redactUrlCredentials(`${level.padEnd(5)} ${msg}${extra ? ` ${extra}` : ''}\n`));
  }
}

function jsonReplacer(_key: string, value: unknown): unknown {
  if (value instanceof Error) {
    const coded = value as Error & { code?: unknown };
    return { name: value.name, message: value.message, code: coded.code };
  }
  return value;
}

const SECRET_KEYS = /pass(word)?|secret|token|key$|private/i;

/** A deep copy with secret-looking fields replaced and URL credentials removed, for logging configuration. */
export function redact<T>(value: T): T {
  if (typeof value === 'string') return redactUrlCredentials(value) as T;
  if (Array.isArray(value)) return value.map((v) => redact(v)) as T;
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
      out[k] =
        SECRET_KEYS.test(k) && v !== undefined && v !== null && typeof v !== 'object' ? '***' : redact(v);
    }
    return out as T;
  }
  return value;
}

/** The process-wide default logger. */
export const log = new Logger();
