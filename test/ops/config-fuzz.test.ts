/**
 * A short fuzz run over the agent config schema through the real `--check-config` path: from a fixed seed,
 * a few hundred configs with random types, sizes and ranges in random fields (plus unknown keys, removed
 * keys and unresolved references). Each must end in a coded error (or pass), printed without a stack trace
 * and without echoing a huge value. A few are run through the compiled CLI to see the real exit code and
 * stderr.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { type ErrorCode, formatError, isMaskEdgeError } from '../../src/core/errors.js';
import { Logger } from '../../src/core/logger.js';
import { SeededRandom } from '../../src/core/seeded-random.js';
import { runAgent } from '../../src/edge/agent/agent-command.js';
import { agentWiring } from '../../src/edge/agent/agent-wiring.js';
import { SystemdNotifier } from '../../src/edge/agent/systemd-notifier.js';
import { faceDetectorModel, writeMeanColourClassifier } from '../agent/agent-test-kit.js';
import { recordReliability } from '../helpers/reliability.js';
import { compileChild } from '../helpers/ts-child.js';

const SEED = 20_261_206;
const CASES = 300;
const EXAMPLE = join(import.meta.dirname, '..', '..', 'configs', 'agent.example.yaml');
const STACK_LINE = /^\s+at .+\(?.*:\d+:\d+\)?$/m;
const quiet = new Logger({ level: 'error', sink: { write: () => undefined } });

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

/** Paths to every leaf (and every object) of a parsed config. */
function paths(value: Json, prefix: (string | number)[] = []): (string | number)[][] {
  const out: (string | number)[][] = prefix.length ? [prefix] : [];
  if (Array.isArray(value)) {
    for (const [i, v] of value.entries()) out.push(...paths(v, [...prefix, i]));
  } else if (value && typeof value === 'object')
    for (const [k, v] of Object.entries(value)) out.push(...paths(v, [...prefix, k]));
  return out;
}

function randomValue(rng: SeededRandom): Json {
  const pick = rng.int(16);
  switch (pick) {
    case 0:
      return -1;
    case 1:
      return 0;
    case 2:
      return 3_000_000;
    case 3:
      return 1e308;
    case 4:
      return Number(rng.uniform(-1e6, 1e6).toFixed(3));
    case 5:
      return rng.int(2) === 0;
    case 6:
      return null;
    case 7:
      return 'x'.repeat(1 + rng.int(70_000));
    case 8:
      return '\u001b]52;c;ZWNobyBoaQ==\u0007\u001b[2J\nforged';
    case 9:
      return '$SYS/broker';
    case 10:
      return `\${UNSET_FUZZ_VARIABLE}`;
    case 11:
      return [1, 'two', null];
    case 12:
      return { nested: { deeper: 'yes' } };
    case 13:
      return '+/#';
    case 14:
      return 100_000;
    default:
      return '';
  }
}

function setAt(root: Json, path: (string | number)[], value: Json | undefined): void {
  let node = root as Record<string | number, Json>;
  for (const key of path.slice(0, -1)) node = node[key] as Record<string | number, Json>;
  const last = path[path.length - 1]!;
  if (value === undefined) {
    if (Array.isArray(node)) node.splice(Number(last), 1);
    else delete node[last];
  } else node[last] = value;
}

describe('agent config fuzz (seeded, through --check-config)', () => {
  let dir: string;
  let base: Json;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'config-fuzz-'));
    base = parse(readFileSync(EXAMPLE, 'utf8')) as Json;
    const b = base as { models: Record<string, Json>; cameras: Json[] };
    b.models.detector = await faceDetectorModel(dir);
    b.models.classifier = writeMeanColourClassifier(dir);
    b.models.providers = ['cpu'];
    b.cameras = [{ id: 'door', source: { type: 'images', path: dir } }];
  }, 120_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it(`${CASES} random configs from seed ${SEED}: each passes or fails with a coded error, no stack trace`, async () => {
    const rng = new SeededRandom(SEED);
    const codes: Record<string, number> = {};
    const allowed: ErrorCode[] = ['E_CONFIG', 'E_MODEL', 'E_TLS', 'E_NOT_FOUND'];
    let longest = 0;
    for (let i = 0; i < CASES; i++) {
      const config = structuredClone(base);
      const mutations = 1 + rng.int(3);
      for (let m = 0; m < mutations; m++) {
        const all = paths(config);
        const target = all[rng.int(all.length)]!;
        const what = rng.int(10);
        if (what === 0) setAt(config, target, undefined);
        else if (what === 1) setAt(config, [...target.slice(0, -1), `${String(target.at(-1))}x`], 1);
        else setAt(config, target, randomValue(rng));
      }
      const file = join(dir, `case-${i}.yaml`);
      writeFileSync(file, stringify(config));
      let outcome = 'OK';
      try {
        await runAgent({ config: file, checkConfig: true }, agentWiring(), {
          logger: quiet,
          notifier: new SystemdNotifier({ env: {}, logger: quiet }),
          out: () => undefined,
        });
      } catch (err) {
        if (!isMaskEdgeError(err)) throw new Error(`case ${i}: uncoded error: ${(err as Error).stack}`);
        expect(allowed, `case ${i}`).toContain(err.code);
        const printed = formatError(err);
        expect(printed, `case ${i}`).not.toMatch(STACK_LINE);
        expect(printed.length, `case ${i}: printed ${printed.length} chars`).toBeLessThan(20_000);
        longest = Math.max(longest, printed.length);
        outcome = err.code;
      }
      codes[outcome] = (codes[outcome] ?? 0) + 1;
    }
    recordReliability('config', {
      scenario:
        'Seeded fuzz over the agent config schema (random types, sizes, ranges) through --check-config',
      promise:
        'every bad value is a coded error with the field, the allowed range and the value; no stack trace; models and TLS files are opened',
      measured: `seed ${SEED}, ${CASES} cases: ${JSON.stringify(codes)}, 0 stack traces, longest message ${longest} chars`,
      test: 'test/ops/config-fuzz.test.ts',
    });
    expect(codes.E_CONFIG).toBeGreaterThan(CASES / 2);
  }, 120_000);

  it('through the compiled CLI: exit 3 with one readable error, no stack trace, for the issue reproductions', () => {
    const cli = compileChild(join(import.meta.dirname, '..', 'mqtt', 'cli-child.ts'));
    const cases: [string, (c: Record<string, Record<string, Json>>) => void, RegExp][] = [
      [
        'topicPrefix of 70000 chars',
        (c) => (c.mqtt!.topicPrefix = 'p'.repeat(70_000)),
        /mqtt\.topicPrefix: .*\(got "p{40}\.\.\. \(70000 chars\)"\)/,
      ],
      [
        '$SYS prefix',
        (c) => (c.mqtt!.topicPrefix = '$SYS/mask'),
        /mqtt\.topicPrefix: must not start with \$/,
      ],
      [
        'threads 100000',
        (c) => (c.models!.threads = 100_000),
        /models\.threads: must be a whole number >= 1 and <= 64 \(got 100000\)/,
      ],
      [
        'stats interval 3000000',
        (c) => (c.stats = { intervalSeconds: 3_000_000 }),
        /stats\.intervalSeconds: must be a number >= 0\.1 and <= 86400/,
      ],
      [
        'typo',
        (c) => (c.stats = { intervalSecnds: 5 }),
        /stats\.intervalSecnds: unknown key; did you mean "intervalSeconds"\?/,
      ],
    ];
    for (const [name, mutate, expected] of cases) {
      const config = structuredClone(base) as Record<string, Record<string, Json>>;
      mutate(config);
      const file = join(dir, `cli-${name.replace(/\W+/g, '-')}.yaml`);
      writeFileSync(file, stringify(config));
      const ran = spawnSync(process.execPath, [cli, 'agent', '--config', file, '--check-config'], {
        encoding: 'utf8',
        timeout: 60_000,
      });
      expect(ran.status, `${name}: ${ran.stderr}`).toBe(3);
      expect(ran.stderr, name).toMatch(expected);
      expect(ran.stderr, name).not.toMatch(STACK_LINE);
      expect(ran.stderr.match(/error E_CONFIG/g)?.length, `${name}: printed once`).toBe(1);
      expect(ran.stderr.length, name).toBeLessThan(4000);
    }
  }, 180_000);
});
