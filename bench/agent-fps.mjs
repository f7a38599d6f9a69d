#!/usr/bin/env node
// End-to-end frames per second of the agent pipeline on a 640x480 video with several faces:
// ffmpeg decode -> face detector (ONNX) -> all faces of a frame classified in one batched ONNX call -> tracker
// -> event sink. The source reads the file as fast as ffmpeg decodes it (realtime off) and the agent drops the
// frames that arrive while it is busy, so "e2e fps" is the pipeline's capacity on this machine.
// Rows: the detector at several input sizes, run on every frame or every Nth frame (detection.everyFrames), the
// same with settled people re-classified on 1 frame in --reclassify only (tracking.reclassifyEvery), plus a "no detector" row (boxes from the first frame replayed) that
// shows the ceiling of everything but detection (decode, crop, classify, track, publish).
//
//   npx tsc -p tsconfig.build.json && node bench/agent-fps.mjs [--seconds 15] [--warmup 3]
//       [--detector F.onnx] [--classifier F.onnx] [--detector-sizes 512,320,256] [--every 1,3] [--reclassify 5] [--threads N]
//       [--sink mqtt|recording] [--providers cpu|webgpu,cpu|auto] [--frames DIR] [--json]
//       [--zoo NAME[,NAME...]] [--cameras N] [--processes N] [--verifier none|auto|FILE]
// --verifier: with --zoo, the face verifier behind each detector as the agent's models.verifier does (default none).
// --zoo: zoo detectors by name (e.g. ssd-mobilenet-v1-512,ssd-mobilenet-v1-512-int8) instead of --detector-sizes.
// --cameras N: N cameras in one agent (one ffmpeg decoder each, the same clip), sharing the detector and
// classifier sessions as the agent does; rows give fps in total and per camera.
// --processes N: N agents side by side (this script again with --cameras 1, started together), e.g. one agent per
// camera; rows sum their fps and CPU.
// --realtime: each camera delivers the clip at its own 30 frames/s (ffmpeg -re), as a camera does, instead of as
// fast as ffmpeg decodes: rows then say whether the agents keep up (per camera fps near 30, dropped near 0%), and
// ffmpeg decodes only the frames a camera would send.
// --detector-workers N: with --zoo, detection runs in N worker threads (the agent's models.detectorWorkers), each with
// its own sessions, so one agent's cameras detect on several cores; 0 (default): in the agent's main thread.
// --providers: the execution providers of both models (default cpu); the row names the one that ran.
// --frames DIR: a folder of 640x480 JPEG frames, looped, instead of the ffmpeg clip (machines without ffmpeg,
// e.g. the GPU machine: bench/device/run.sh); decoding is then sharp's, in the agent's process.
// Events go through the real MQTT sink (on-disk outbox, QoS 1) to mosquitto on a loopback port (the embedded
// aedes broker when mosquitto is not installed); `--sink recording` keeps them in memory instead.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const here = dirname(fileURLToPath(import.meta.url));
const dist = join(here, '..', 'dist');
const { values: args } = parseArgs({
  options: {
    seconds: { type: 'string', default: '15' },
    warmup: { type: 'string', default: '3' },
    detector: { type: 'string' },
    verifier: { type: 'string', default: 'none' },
    classifier: { type: 'string' },
    'detector-sizes': { type: 'string', default: '512,320,256' },
    every: { type: 'string', default: '1,3' },
    reclassify: { type: 'string', default: '5' },
    threads: { type: 'string' },
    sink: { type: 'string', default: 'mqtt' },
    providers: { type: 'string', default: 'cpu' },
    frames: { type: 'string' },
    json: { type: 'boolean', default: false },
    zoo: { type: 'string' },
    cameras: { type: 'string', default: '1' },
    processes: { type: 'string', default: '1' },
    realtime: { type: 'boolean', default: false },
    'detector-workers': { type: 'string', default: '0' },
  },
});
const cameraCount = Number(args.cameras);
const processCount = Number(args.processes);
if (!(Number.isInteger(cameraCount) && cameraCount >= 1)) throw new Error(`--cameras ${args.cameras}`);
if (!(Number.isInteger(processCount) && processCount >= 1)) throw new Error(`--processes ${args.processes}`);
if (processCount > 1) await runProcesses(); // exits

const { Logger } = await import(join(dist, 'core/logger.js'));
const { MODELS_DIR } = await import(join(dist, 'core/package-paths.js'));
const { FaceDetector } = await import(join(dist, 'edge/inference/face-detector.js'));
const { MaskClassifier } = await import(join(dist, 'edge/inference/mask-classifier.js'));
const { AgentRuntime } = await import(join(dist, 'edge/agent/agent-runtime.js'));
const { agentConfigSchema } = await import(join(dist, 'edge/config/agent-config.js'));
const { openMqttEventSink } = await import(join(dist, 'edge/mqtt/open-event-sink.js'));
const { startEmbeddedBroker } = await import(join(dist, 'edge/demo/embedded-broker.js'));
const { RecordingEventSink } = await import(join(dist, 'edge/events/recording-event-sink.js'));

const logger = new Logger({ level: 'warn' });
const work = mkdtempSync(join(tmpdir(), 'agent-fps-'));
const say = (line) => process.stderr.write(`${line}\n`);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// 1. The video: face-api's sample6 (4 people) panned slowly, 640x480, 30 fps, H.264 (or --frames).
const photo = join(here, '..', 'node_modules/@vladmandic/face-api/demo/sample6.jpg');
const video = join(work, 'four-faces-640x480.mp4');
if (!args.frames) {
  execFileSync('ffmpeg', [
    '-v',
    'error',
    '-y',
    '-loop',
    '1',
    '-framerate',
    '30',
    '-i',
    photo,
    '-t',
    '10',
    '-vf',
    "scale=760:-2,crop=640:480:x='60+50*sin(t*0.8)':y='(ih-480)/3',format=yuv420p",
    '-c:v',
    'libx264',
    '-preset',
    'veryfast',
    '-crf',
    '23',
    video,
  ]);
  say(`video: ${video}`);
} else say(`frames: ${args.frames}`);

// 2. Models: bundled ones when present, else built the way `mask-edge export` builds them.
async function detectorAt(size) {
  if (args.detector) return args.detector;
  const bundled = join(MODELS_DIR, 'face-detector.onnx');
  const { buildFaceDetector } = await import(join(dist, 'export/detector/build-face-detector.js'));
  if (existsSync(bundled) && size === undefined) return bundled;
  return (await buildFaceDetector({ out: join(work, `face-detector-${size}.onnx`), inputSize: size })).path;
}
async function classifierPath() {
  if (args.classifier) return args.classifier;
  const bundled = join(MODELS_DIR, 'mask-classifier.int8.onnx');
  if (existsSync(bundled)) return bundled;
  // the student architecture with random weights, INT8 (same cost as a trained one)
  const { buildStudentModel, quantizeStudent } = await import('./classifier-student-model.mjs');
  const fp32 = buildStudentModel({ size: 128 });
  const path = join(work, 'student.int8.onnx');
  writeFileSync(path, await quantizeStudent(fp32, { size: 128 }));
  return path;
}

// 3. The broker: mosquitto on a free loopback port when installed, else the embedded aedes broker.
let broker;
async function startBroker() {
  const { createServer } = await import('node:net');
  const { spawn } = await import('node:child_process');
  const port = await new Promise((resolve) => {
    const srv = createServer().listen(0, '127.0.0.1', () => {
      const p = srv.address().port;
      srv.close(() => resolve(p));
    });
  });
  try {
    execFileSync('sh', ['-c', 'command -v mosquitto']);
    const conf = join(work, 'mosquitto.conf');
    writeFileSync(conf, `listener ${port} 127.0.0.1\nallow_anonymous true\npersistence false\n`);
    const child = spawn('mosquitto', ['-c', conf], { stdio: 'ignore' });
    process.on('exit', () => child.kill('SIGKILL')); // also when the bench fails half-way
    await sleep(500);
    return { url: `mqtt://127.0.0.1:${port}`, kind: 'mosquitto', close: async () => child.kill('SIGTERM') };
  } catch {
    const embedded = await startEmbeddedBroker();
    return { url: embedded.url, kind: 'embedded aedes', close: () => embedded.close() };
  }
}

function cameraId(i) {
  return cameraCount === 1 ? 'bench' : `bench${i + 1}`;
}

function configFor(everyFrames, reclassifyEvery, run) {
  return agentConfigSchema.parse({
    device: { id: 'bench' },
    mqtt: { url: broker?.url ?? 'mqtt://127.0.0.1:1' },
    outbox: { dir: join(work, `outbox-${run}`) },
    health: { enabled: false },
    cameras: Array.from({ length: cameraCount }, (_, i) => ({
      id: cameraId(i),
      source: args.frames
        ? { type: 'images', path: args.frames, fps: 240, loop: true }
        : { type: 'ffmpeg', url: video, realtime: args.realtime, loop: true, maxFps: 240 },
    })),
    detection: { everyFrames },
    tracking: { reclassifyEvery },
    stats: { intervalSeconds: 3600 },
  });
}

async function openSink(config) {
  if (args.sink !== 'mqtt') return new RecordingEventSink('bench');
  return openMqttEventSink(config, logger);
}
if (args.sink === 'mqtt') {
  broker = await startBroker();
  say(`broker: ${broker.kind} at ${broker.url}`);
}
let runs = 0;

/** CPU seconds used so far by a child process (utime + stime from /proc, 100 ticks/s); 0 if unreadable. */
function childCpuSeconds(pid) {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return 0;
  }
}

/** A detector that replays the boxes the real one found in the first frame: no detection cost. */
function replayDetector(real) {
  let boxes;
  return {
    provider: `${real.provider} (replay)`,
    async detect(frame) {
      boxes ??= await real.detect(frame);
      return boxes;
    },
  };
}

const threads = args.threads ? Number(args.threads) : undefined;
const sessionOptions = { providers: args.providers.split(','), logger, ...(threads ? { threads } : {}) };
const classifier = await MaskClassifier.open(await classifierPath(), sessionOptions);
const sizes = args['detector-sizes'].split(',').map(Number);

async function measure(name, detector, everyFrames = 1, reclassifyEvery = 1) {
  const config = configFor(everyFrames, reclassifyEvery, runs++);
  const sink = await openSink(config);
  const runtime = new AgentRuntime(config, { detector, classifier, sink, logger });
  await runtime.start();
  await sleep(Number(args.warmup) * 1000);
  const take = () =>
    runtime.pipelines.map((pipeline) => {
      const s = pipeline.sourceStats();
      return { c: { ...pipeline.counters }, frames: s.frames, ffmpegCpu: childCpuSeconds(s.detail?.pid) };
    });
  const tA = performance.now();
  const a = take();
  const cpuA = process.cpuUsage();
  await sleep(Number(args.seconds) * 1000);
  const tB = performance.now();
  const b = take();
  const cpu = process.cpuUsage(cpuA);
  const stats = runtime.stats();
  await runtime.stop();
  const delivered = sink.deliveryStats?.().publishedEvents ?? sink.events.length;
  await sink.close();
  const secs = (tB - tA) / 1000;
  const diff = (key) => b.reduce((n, x, i) => n + x.c[key] - a[i].c[key], 0);
  const processed = diff('processed');
  const decoded = b.reduce((n, x, i) => n + x.frames - a[i].frames, 0);
  const perCameraFps = b.map((x, i) => +((x.c.processed - a[i].c.processed) / secs).toFixed(1));
  const cams = runtime.pipelines.map((p) => stats.cameras[p.camera]);
  const p50 = (stage) => Math.max(...cams.map((c) => c.stageMs[stage].p50));
  const nodeCpu = (cpu.user + cpu.system) / 1e6;
  const ffmpegCpu = b.reduce((n, x, i) => n + x.ffmpegCpu - a[i].ffmpegCpu, 0);
  // ffmpeg decodes every frame, the agent processes some: charge decoding per decoded frame
  const cpuMsPerFrame = (1000 * nodeCpu) / Math.max(1, processed) + (1000 * ffmpegCpu) / Math.max(1, decoded);
  return {
    name,
    cameras: cameraCount,
    e2eFps: +(processed / secs).toFixed(1),
    perCameraFps,
    decodedFps: +(decoded / secs).toFixed(1),
    dropped: diff('dropped'),
    droppedPct: +((100 * diff('dropped')) / Math.max(1, decoded)).toFixed(0),
    facesPerFrame: +(diff('faces') / Math.max(1, processed)).toFixed(2),
    classifiedPerFrame: +(diff('classified') / Math.max(1, processed)).toFixed(2),
    detectMsP50: p50('detect'),
    classifyMsP50: p50('classify'),
    latencyMs: stats.latencyMs,
    events: delivered,
    nodeCpuPct: +((100 * nodeCpu) / secs).toFixed(0),
    ffmpegCpuPct: +((100 * ffmpegCpu) / secs).toFixed(0),
    nodeCpuSeconds: +nodeCpu.toFixed(2),
    ffmpegCpuSeconds: +ffmpegCpu.toFixed(2),
    processed,
    decoded,
    seconds: +secs.toFixed(2),
    cpuMsPerFrame: +cpuMsPerFrame.toFixed(1),
    // what the same CPU work per frame would give with both cores free (upper bound: assumes perfect overlap)
    fpsIfIdle: +((1000 * cpus().length) / cpuMsPerFrame).toFixed(1),
    load1: +loadavg()[0].toFixed(1),
  };
}

const rows = [];
let first;
const everyList = args.every.split(',').map(Number);
const { openDetector } = await import(join(dist, 'edge/inference/detector-zoo.js'));
const detectorRuns = args.zoo
  ? args.zoo.split(',').map((name) => ({
      label: name,
      open: async () => {
        const workers = Number(args['detector-workers']);
        if (workers > 0) {
          const { DetectorWorkerPool } = await import(join(dist, 'edge/inference/detector-worker-pool.js'));
          const pool = await DetectorWorkerPool.open(
            {
              detectors: [name],
              verifier: args.verifier,
              session: { providers: sessionOptions.providers, ...(threads ? { threads } : {}) },
            },
            workers,
          );
          pool.label = `${args.verifier === 'none' ? '' : '+ face verifier '}in ${workers} worker thread(s)`;
          return pool;
        }
        const opened = await openDetector(name, sessionOptions);
        if (args.verifier === 'none') return opened.detector;
        // as the agent's models.verifier: the verifier refines the detector's raw boxes
        const { withVerifier } = await import(join(dist, 'edge/inference/face-verifier.js'));
        const { detector, verifier } = await withVerifier(opened, args.verifier, sessionOptions);
        if (!verifier.path) return detector;
        detector.inputSize = opened.detector.inputSize;
        detector.label = '+ face verifier';
        return detector;
      },
    }))
  : sizes.map((size) => ({
      label: `${size}px`,
      open: async () => FaceDetector.open(await detectorAt(size), sessionOptions),
    }));
for (const run of detectorRuns) {
  const detector = await run.open();
  const label = args.zoo
    ? `${run.label}${detector.label ? ` ${detector.label}` : ''} (${detector.provider})`
    : `${detector.inputSize}px (${detector.provider})`;
  first ??= detector;
  for (const every of everyList) {
    say(`measuring detector ${run.label}, every ${every} frame(s), ${cameraCount} camera(s) ...`);
    const what = every === 1 ? 'every frame' : `1 in ${every} frames`;
    rows.push(
      await measure(`detector ${label} on ${what} + classifier (${classifier.provider})`, detector, every),
    );
  }
  const reclassify = Number(args.reclassify);
  if (reclassify > 1) {
    const every = Math.max(...everyList);
    say(
      `measuring detector ${run.label}, every ${every} frame(s), settled people re-classified 1 in ${reclassify} ...`,
    );
    rows.push(
      await measure(
        `detector ${label} on 1 in ${every} frames + classifier on changes and 1 in ${reclassify} frames`,
        detector,
        every,
        reclassify,
      ),
    );
  }
}
say('measuring replayed boxes (no detection) ...');
rows.push(await measure('no detector (replayed boxes) + classifier', replayDetector(first)));

await broker?.close();
const header = `${cameraCount} camera(s) in one agent, 640x480 each; frames: ${args.frames ? 'image folder' : args.realtime ? 'each camera at 30 frames/s (realtime)' : 'as fast as ffmpeg decodes'}; sink: ${args.sink === 'mqtt' ? `MQTT (${broker.kind}), outbox on disk` : 'recording (in memory)'}; machine: ${cpus().length} x ${cpus()[0]?.model}, node ${process.version}; classifier input ${classifier.inputSize}px`;
if (args.json) process.stdout.write(`${JSON.stringify({ header, rows }, null, 2)}\n`);
else {
  process.stdout.write(`${header}\n\n`);
  process.stdout.write(
    '| pipeline | e2e fps | per camera | decoded fps | dropped | faces/frame | classified/frame | detect p50 ms | classify p50 ms | latency p50/p95 ms | agent CPU | ffmpeg CPU | CPU ms/frame | fps if 2 cores idle | events published | load |\n',
  );
  process.stdout.write('|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n');
  for (const r of rows) {
    process.stdout.write(
      `| ${r.name} | ${r.e2eFps} | ${r.perCameraFps.join(' / ')} | ${r.decodedFps} | ${r.droppedPct}% | ${r.facesPerFrame} | ${r.classifiedPerFrame} | ${r.detectMsP50} | ${r.classifyMsP50} | ${r.latencyMs.p50}/${r.latencyMs.p95} | ${r.nodeCpuPct}% | ${r.ffmpegCpuPct}% | ${r.cpuMsPerFrame} | ${r.fpsIfIdle} | ${r.events} | ${r.load1} |\n`,
    );
  }
}
rmSync(work, { recursive: true, force: true });
process.exit(0);

/** --processes N: this script N times with --cameras 1 --json, started together; their rows summed by position. */
async function runProcesses() {
  const { spawn } = await import('node:child_process');
  const forwarded = process.argv
    .slice(2)
    .filter(
      (a, i, all) =>
        !['--processes', '--cameras', '--json'].includes(a) &&
        !['--processes', '--cameras'].includes(all[i - 1]),
    );
  const script = fileURLToPath(import.meta.url);
  const outputs = await Promise.all(
    Array.from(
      { length: processCount },
      (_, i) =>
        new Promise((resolve, reject) => {
          const child = spawn(process.execPath, [script, ...forwarded, '--cameras', '1', '--json'], {
            stdio: ['ignore', 'pipe', 'inherit'],
          });
          let out = '';
          child.stdout.on('data', (d) => {
            out += d;
          });
          child.on('exit', (code) =>
            code === 0 ? resolve(JSON.parse(out)) : reject(new Error(`agent ${i + 1} exited with ${code}`)),
          );
        }),
    ),
  );
  const rows = outputs[0].rows.map((row, k) => {
    const all = outputs.map((o) => o.rows[k]);
    const sum = (key) => all.reduce((n, r) => n + r[key], 0);
    const nodeCpu = sum('nodeCpuSeconds');
    const ffmpegCpu = sum('ffmpegCpuSeconds');
    const cpuMsPerFrame =
      (1000 * nodeCpu) / Math.max(1, sum('processed')) + (1000 * ffmpegCpu) / Math.max(1, sum('decoded'));
    return {
      ...row,
      name: `${processCount} agents x 1 camera: ${row.name}`,
      cameras: processCount,
      e2eFps: +sum('e2eFps').toFixed(1),
      perCameraFps: all.map((r) => r.e2eFps),
      decodedFps: +sum('decodedFps').toFixed(1),
      perCameraDecodedFps: all.map((r) => r.decodedFps),
      droppedPct: +((100 * sum('dropped')) / Math.max(1, sum('decoded'))).toFixed(1),
      detectMsP50: Math.max(...all.map((r) => r.detectMsP50)),
      classifyMsP50: Math.max(...all.map((r) => r.classifyMsP50)),
      events: sum('events'),
      nodeCpuPct: sum('nodeCpuPct'),
      ffmpegCpuPct: sum('ffmpegCpuPct'),
      cpuMsPerFrame: +cpuMsPerFrame.toFixed(1),
      fpsIfIdle: +((1000 * cpus().length) / cpuMsPerFrame).toFixed(1),
      load1: +loadavg()[0].toFixed(1),
    };
  });
  const header = `${processCount} agents side by side, 1 camera (640x480) each; ${outputs[0].header.split('; ').slice(1).join('; ')}`;
  if (args.json) process.stdout.write(`${JSON.stringify({ header, rows }, null, 2)}\n`);
  else {
    process.stdout.write(
      `${header}\n\n| pipeline | e2e fps | per camera | decoded per camera | dropped | detect p50 ms | agent CPU | ffmpeg CPU | CPU ms/frame | load |\n|---|---|---|---|---|---|---|---|---|---|\n`,
    );
    for (const r of rows)
      process.stdout.write(
        `| ${r.name} | ${r.e2eFps} | ${r.perCameraFps.join(' / ')} | ${r.perCameraDecodedFps.join(' / ')} | ${r.droppedPct}% | ${r.detectMsP50} | ${r.nodeCpuPct}% | ${r.ffmpegCpuPct}% | ${r.cpuMsPerFrame} | ${r.load1} |\n`,
      );
  }
  process.exit(0);
}
