#!/usr/bin/env node
// Step 5 of bench/device/run.sh: reads the JSON files of one run's OUT folder and prints a Markdown summary
// against issue 14's goals (student training on the GPU >= 10x the wasm figure; detector on the GPU >= 5x cpu).
//   node bench/device/summarise.mjs OUT_DIR
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const dir = process.argv[2] ?? '.';
const read = (name) => {
  const path = join(dir, name);
  if (!existsSync(path)) return undefined;
  const text = readFileSync(path, 'utf8').trim();
  if (!text) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    // JSON lines (agent.json) or a file with log lines before the object
    const objects = text
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => {
        try {
          return JSON.parse(l);
        } catch {
          return undefined;
        }
      })
      .filter(Boolean);
    return objects.length === 1 ? objects[0] : objects.length ? objects : undefined;
  }
};
const lines = [];
const say = (l = '') => lines.push(l);
const fmt = (n, d = 1) => (typeof n === 'number' && Number.isFinite(n) ? n.toFixed(d) : 'n/a');

const env = read('env.json');
say('# GPU measurement (bench/device/run.sh)');
say();
if (env) {
  say(`- GPU: ${env.gpu}; CPU: ${env.cpu} (${env.cores} cores); node ${env.node}`);
  say(
    `- Vulkan: ${env.vulkan}; WebGPU adapter: ${env.adapter?.found ? env.adapter.description : `none (${env.adapter?.reason})`}`,
  );
  say(
    `- onnxruntime-node build: ${(env.onnxruntimeBuild ?? []).map((b) => `${b.name}${b.bundled ? '' : ' (not bundled)'}`).join(', ')}`,
  );
  for (const [p, c] of Object.entries(env.providerLibraries ?? {})) {
    say(`- ${p} libraries: ${c.present ? 'present' : c.reason}`);
  }
  say();
  say('## webgpu training backend vs cpu (relative error, 1e-4 passes)');
  if (Array.isArray(env.parity)) {
    say('| what | relative error | pass |');
    say('|---|---|---|');
    for (const r of env.parity)
      say(`| ${r.what} | ${r.relativeError.toExponential(2)} | ${r.pass ? 'yes' : 'NO'} |`);
  } else say(`${env.parity ?? env.parityError ?? 'not run'}`);
} else say('env.json missing: step 1 failed (see run.log)');

say();
say('## Short training run, same data and seed; batch 64 unless named');
const student = (m) =>
  m?.models?.find((x) => x.name === m.best?.student) ?? m?.models?.find((x) => x.role === 'student');
const runs = Object.fromEntries(['wasm', 'webgpu', 'webgpu-256'].map((b) => [b, read(`train-${b}.json`)]));
say(
  '| run (backend[-batch]) | device | student train img/s | teacher train img/s | student train loss by epoch | test accuracy |',
);
say('|---|---|---|---|---|---|');
for (const [b, m] of Object.entries(runs)) {
  if (!m?.models) {
    say(`| ${b} | failed (see run.log) | | | | |`);
    continue;
  }
  const s = student(m);
  const t = m.models.find((x) => x.role === 'teacher');
  const loss = (s?.history ?? []).map((h) => fmt(h.trainLoss, 4)).join(', ');
  say(
    `| ${b} | ${m.backend} | ${fmt(s?.trainImagesPerSec ?? s?.imagesPerSec)} | ${fmt(t?.trainImagesPerSec ?? t?.imagesPerSec)} | ${loss} | ${fmt(100 * (s?.accuracy ?? Number.NaN))}% |`,
  );
}
const speed = (m) => student(m)?.trainImagesPerSec ?? student(m)?.imagesPerSec;
if (speed(runs.webgpu) && speed(runs.wasm)) {
  const x = speed(runs.webgpu) / speed(runs.wasm);
  say();
  say(
    `student training webgpu / wasm, batch 64 both: ${fmt(x)}x (goal >= 10x: ${x >= 10 ? 'met' : 'NOT met'})`,
  );
  if (speed(runs['webgpu-256'])) {
    const y = speed(runs['webgpu-256']) / speed(runs.wasm);
    say(
      `student training webgpu batch 256 / wasm batch 64: ${fmt(y)}x (goal >= 10x: ${y >= 10 ? 'met' : 'NOT met'})`,
    );
  }
  const a = student(runs.webgpu)?.history ?? [];
  const b = student(runs.wasm)?.history ?? [];
  const gap = Math.max(0, ...a.map((h, i) => Math.abs(h.trainLoss - (b[i]?.trainLoss ?? h.trainLoss))));
  say(`largest per-epoch train-loss difference webgpu vs wasm: ${fmt(gap, 5)}`);
}

say();
say('## bench (images/s, median of repeats)');
const bench = read('bench.json');
if (bench?.results) {
  say('| model | prec | provider | threads | batch | img/s | p50 ms |');
  say('|---|---|---|---|---|---|---|');
  for (const r of bench.results) {
    say(
      `| ${r.model} | ${r.precision} | ${r.provider} | ${r.threads} | ${r.batch} | ${fmt(r.imagesPerSec)} | ${fmt(r.p50Ms, 2)} |`,
    );
  }
  for (const s of bench.skipped ?? []) say(`- skipped ${s.what}: ${s.reason}`);
  for (const batch of [1, 32]) {
    const best = (provider) =>
      Math.max(
        0,
        ...bench.results
          .filter(
            (r) =>
              r.model === 'detector' &&
              r.precision === 'fp32' &&
              r.provider === provider &&
              r.batch === batch,
          )
          .map((r) => r.imagesPerSec),
      );
    const cpu = best('cpu');
    for (const gpu of ['webgpu', 'cuda', 'tensorrt']) {
      if (best(gpu) > 0 && cpu > 0) {
        const x = best(gpu) / cpu;
        say(
          `detector fp32 batch ${batch}: ${gpu} / cpu = ${fmt(x)}x (goal >= 5x: ${x >= 5 ? 'met' : 'NOT met'})`,
        );
      }
    }
  }
} else say('bench.json missing: step 3 failed (see run.log)');

say();
say('## agent on the 640x480 clip (e2e fps)');
const agent = read('agent.json');
const agentRuns = Array.isArray(agent) ? agent : agent ? [agent] : [];
if (agentRuns.length) {
  say('| pipeline | e2e fps | detect p50 ms | classify p50 ms | latency p50/p95 ms |');
  say('|---|---|---|---|---|');
  for (const run of agentRuns) {
    for (const r of run.rows ?? []) {
      say(
        `| ${r.name} | ${r.e2eFps} | ${r.detectMsP50} | ${r.classifyMsP50} | ${r.latencyMs?.p50}/${r.latencyMs?.p95} |`,
      );
    }
  }
} else say('agent.json missing or empty: step 4 failed (see run.log)');
process.stdout.write(`${lines.join('\n')}\n`);
