#!/usr/bin/env node
// The reliability table in docs/reliability.md, generated from what the reliability tests measured (issue 12),
// never typed by hand.
//
//   node scripts/reliability-table.mjs measure [options]   run the reliability tests with MASK_EDGE_WRITE_RELIABILITY=1
//                                                          (each group writes docs/results/reliability/<group>.json), render
//   node scripts/reliability-table.mjs render  [options]   rewrite the block between <!-- reliability:begin --> and
//                                                          <!-- reliability:end --> in docs/reliability.md from the saved JSON
//
// A group file is { group, measuredAt, node, rows: [{ scenario, promise, measured, test }] }; any test may add a group
// (test/helpers/reliability.ts `recordReliability`), and every group found is rendered (known groups first, then by file name).
// Options: --results DIR (docs/results/reliability) --doc FILE (docs/reliability.md) --tests "a b" (test files to run).
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const BEGIN = '<!-- reliability:begin -->';
const END = '<!-- reliability:end -->';
const TESTS = [
  'test/outbox/outbox-full-disk.test.ts',
  'test/outbox/outbox-damage.test.ts',
  'test/mqtt/agent-startup-health.test.ts',
  'test/mqtt/tls-mismatch.test.ts',
  'test/sources/ffmpeg-credentials.test.ts',
  'test/agent/agent-secrets.test.ts',
  'test/ops/config-fuzz.test.ts',
  'test/mqtt/alerts-hostile.test.ts',
  'test/core/decode-limit.test.ts',
];

const GROUP_ORDER = [
  'outbox',
  'outbox-damage',
  'startup-health',
  'broker-protocol',
  'secrets',
  'config',
  'alerts',
  'hostile-input',
];

const { values: args, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    results: { type: 'string', default: 'docs/results/reliability' },
    doc: { type: 'string', default: 'docs/reliability.md' },
    tests: { type: 'string' },
  },
});

function fail(message) {
  process.stderr.write(`reliability-table: ${message}\n`);
  process.exit(1);
}

/** A table cell: one line, pipes escaped. */
function cell(text) {
  return String(text ?? '')
    .replace(/\s+/g, ' ')
    .replace(/\|/g, '\\|')
    .trim();
}

export function formatReliabilityBlock(groups) {
  const lines = [BEGIN, '', '| Scenario | What is promised | Measured | Test |', '| --- | --- | --- | --- |'];
  for (const group of groups) {
    for (const row of group.rows) {
      lines.push(
        `| ${cell(row.scenario)} | ${cell(row.promise)} | ${cell(row.measured)} | \`${cell(row.test)}\` |`,
      );
    }
  }
  const when = groups
    .map((g) => `${g.group}: ${String(g.measuredAt).slice(0, 10)} (node ${g.node})`)
    .join('; ');
  lines.push('', `Measured by the tests named in the last column (${when}).`, '', END);
  return lines.join('\n');
}

export function replaceBlock(text, block) {
  const begin = text.indexOf(BEGIN);
  const end = text.indexOf(END);
  if (begin < 0 || end < 0 || end < begin) fail(`the doc needs one ${BEGIN} ... ${END} block`);
  return text.slice(0, begin) + block + text.slice(end + END.length);
}

async function render() {
  const dir = resolve(root, args.results);
  if (!existsSync(dir)) fail(`no results in ${dir}: run "node scripts/reliability-table.mjs measure" first`);
  // Known groups first, in the order a reader meets the failures; any other group after them, by name.
  const rank = (n) => {
    const i = GROUP_ORDER.indexOf(n.replace(/\.json$/, ''));
    return i < 0 ? GROUP_ORDER.length : i;
  };
  const names = (await readdir(dir))
    .filter((n) => n.endsWith('.json'))
    .sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
  const groups = [];
  for (const name of names) {
    const group = JSON.parse(await readFile(join(dir, name), 'utf8'));
    if (!Array.isArray(group.rows)) fail(`${name}: no rows`);
    groups.push(group);
  }
  const doc = resolve(root, args.doc);
  const text = await readFile(doc, 'utf8');
  await writeFile(doc, replaceBlock(text, formatReliabilityBlock(groups)));
  process.stdout.write(
    `reliability-table: ${groups.reduce((n, g) => n + g.rows.length, 0)} rows -> ${args.doc}\n`,
  );
}

function measure() {
  const tests = args.tests ? args.tests.split(/\s+/).filter(Boolean) : TESTS;
  const result = spawnSync('npx', ['vitest', 'run', ...tests], {
    cwd: root,
    stdio: 'inherit',
    env: { ...process.env, MASK_EDGE_WRITE_RELIABILITY: '1' },
  });
  if (result.status !== 0) fail(`the reliability tests failed (exit ${result.status}); table not rendered`);
}

const command = positionals[0] ?? 'render';
if (command === 'measure') {
  measure();
  await render();
} else if (command === 'render') {
  await render();
} else {
  fail(`unknown command ${command}: use measure or render`);
}
