/**
 * Shared kit for the reliability tests (issue 12): log capture, delivery accounting, and the measured
 * results behind docs/reliability.md. With MASK_EDGE_WRITE_RELIABILITY=1 each test group writes
 * docs/results/reliability/<group>.json (one file per group, so other groups can add theirs);
 * `node scripts/reliability-table.mjs` renders them into docs/reliability.md between markers.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Logger } from '../../src/core/logger.js';
import type { MaskEvent } from '../../src/edge/events/event-types.js';

export interface ReliabilityRow {
  /** What was done to the agent. */
  scenario: string;
  /** What the agent promises in that case. */
  promise: string;
  /** What the test measured (numbers), one line. */
  measured: string;
  /** The test file that measured it. */
  test: string;
}

const rows = new Map<string, ReliabilityRow[]>();

/** Remembers a measured row for `group`; written only when MASK_EDGE_WRITE_RELIABILITY=1. */
export function recordReliability(group: string, row: ReliabilityRow): void {
  const list = rows.get(group) ?? [];
  list.push(row);
  rows.set(group, list);
  console.log(`[reliability] ${row.scenario}: ${row.measured}`);
  if (process.env.MASK_EDGE_WRITE_RELIABILITY !== '1') return;
  const dir = join(import.meta.dirname, '..', '..', 'docs', 'results', 'reliability');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${group}.json`);
  // Keep the rows other runs measured: a row measured again replaces its old self in place, new rows go last.
  let existing: ReliabilityRow[] = [];
  try {
    existing = (JSON.parse(readFileSync(file, 'utf8')) as { rows: ReliabilityRow[] }).rows;
  } catch {
    existing = [];
  }
  const merged = [
    ...existing.map((r) => list.find((n) => n.scenario === r.scenario) ?? r),
    ...list.filter((n) => !existing.some((r) => r.scenario === n.scenario)),
  ];
  writeFileSync(
    file,
    `${JSON.stringify({ group, measuredAt: new Date().toISOString(), node: process.version, rows: merged }, null, 2)}\n`,
  );
}

export interface CapturedLog {
  logger: Logger;
  lines: Record<string, unknown>[];
  /** Lines whose message matches. */
  find(pattern: RegExp): Record<string, unknown>[];
}

export function captureLog(level: 'debug' | 'info' | 'warn' | 'error' = 'info'): CapturedLog {
  const lines: Record<string, unknown>[] = [];
  const logger = new Logger({
    level,
    json: true,
    sink: { write: (line: string) => lines.push(JSON.parse(line) as Record<string, unknown>) },
  });
  return { logger, lines, find: (p) => lines.filter((l) => p.test(String(l.msg))) };
}

/** Distinct events by id, duplicate deliveries, and any seq carried by two different events. */
export function deliveryReport(received: MaskEvent[]) {
  const byId = new Map(received.map((e) => [e.id, e]));
  const idsBySeq = new Map<number, Set<string>>();
  for (const e of byId.values()) idsBySeq.set(e.seq, (idsBySeq.get(e.seq) ?? new Set()).add(e.id));
  const reusedSeqs = [...idsBySeq].filter(([, ids]) => ids.size > 1).map(([seq]) => seq);
  return {
    unique: byId.size,
    duplicates: received.length - byId.size,
    ids: new Set(byId.keys()),
    reusedSeqs,
  };
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
