#!/usr/bin/env node
// Packs what bench/device/run.sh needs on a bare GPU machine into .devcarry/ (git-ignored; name it in the device
// tool's `carry`): the device has no Node.js and no node_modules, and at most 64 MiB travel per call. So:
//   node.xz          this machine's node binary (official builds link only glibc), used there when no node >= 20
//   modules.tar.xz   the production dependency closure (npm ls --omit=dev), pruned to what Node loads on
//                    linux/x64: no source maps, typings, docs, other platforms' binaries, and of each
//                    @tensorflow package only its Node bundle (dist/*.node.js) and wasm files
//   dist.tar.xz      the compiled CLI (npx tsc -p tsconfig.build.json first)
//   frames.tar       30 JPEG frames of the 640x480 test clip, for the agent when the device has no ffmpeg
//   data.tar         a small ImageFolder of 64 px face crops (Kaggle set, CC0: `data prepare`, then a subset)
//                    for the short training runs
// The 22 MB face detector is rebuilt there from face-api's weights (scripts/build-face-detector.mjs), which is
// smaller than carrying it.
//
//   npx tsc -p tsconfig.build.json && node bench/device/pack.mjs [--out .devcarry] [--budget-mib 62] [--fresh]
// dist.tar.xz is always rebuilt; the other files only when missing or with --fresh (about 8 minutes on 2 busy cores).
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, realpathSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const { values: args } = parseArgs({
  options: {
    out: { type: 'string', default: join(root, '.devcarry') },
    'budget-mib': { type: 'string', default: '62' },
    'skip-node': { type: 'boolean', default: false },
    fresh: { type: 'boolean', default: false },
  },
});
const out = args.out;
const say = (line) => process.stderr.write(`${line}\n`);
if (!existsSync(join(root, 'dist', 'cli', 'main.js'))) {
  say('pack: dist/ is missing: run npx tsc -p tsconfig.build.json first');
  process.exit(2);
}
mkdirSync(out, { recursive: true });
const modulesDir = realpathSync(join(root, 'node_modules'));

// 1. The production closure, as npm resolves it.
const listed = execFileSync('npm', ['ls', '--omit=dev', '--all', '--parseable'], {
  cwd: root,
  encoding: 'utf8',
  stdio: ['ignore', 'pipe', 'ignore'],
  maxBuffer: 1 << 26,
})
  .split('\n')
  .map((p) => p.trim())
  .filter((p) => p.length > 0)
  .map((p) => relative(modulesDir, realpathSync(p)))
  .filter((p) => p.length > 0 && !p.startsWith('..'));
const packages = [...new Set(listed)].sort();

const OTHER_PLATFORMS = [
  /^onnxruntime-node\/bin\/napi-v\d+\/(darwin|win32)\//,
  /^onnxruntime-node\/bin\/napi-v\d+\/linux\/arm64\//,
  /^webgpu\/dist\/(darwin|win32|linux-arm64)/,
  /^webgpu\/build\//,
];
const DROP_FILE = [
  /\.map$/,
  /\.d\.[cm]?ts$/,
  /\.ts$/,
  /\.md$/,
  /\.markdown$/,
  /(^|\/)(test|tests|docs|example|examples)\//,
];
// face-api: its Node build, the SSD weights the detector is rebuilt from, the tiny landmark net (a backbone of
// the parity check); the 6 MB face-recognition weights do not fit the carry limit
const FACE_API_KEEP = [
  /^package\.json$/,
  /^dist\/face-api\.node-wasm\.js$/,
  /^model\/ssd_mobilenetv1_model/,
  /^model\/face_landmark_68_tiny_model/,
];

/** Files of one package to keep; @tensorflow packages keep only their Node bundle and wasm binaries. */
function keep(pkg, rel) {
  const full = `${pkg}/${rel}`;
  if (OTHER_PLATFORMS.some((re) => re.test(full))) return false;
  if (DROP_FILE.some((re) => re.test(rel))) return false;
  if (pkg.startsWith('@tensorflow/') && !pkg.includes('/node_modules/')) {
    return (
      rel === 'package.json' ||
      /^dist\/[^/]+\.node\.js$/.test(rel) ||
      /^dist\/[^/]+\.(wasm|worker\.js)$/.test(rel)
    );
  }
  if (pkg === '@vladmandic/face-api') return FACE_API_KEEP.some((re) => re.test(rel));
  return true;
}

const files = [];
function walk(pkg, dir) {
  for (const name of readdirSync(dir)) {
    const abs = join(dir, name);
    const rel = relative(join(modulesDir, pkg), abs);
    const st = statSync(abs);
    if (st.isDirectory()) {
      if (name === 'node_modules') continue; // nested packages are in the npm ls list themselves
      walk(pkg, abs);
    } else if (keep(pkg, rel)) files.push(relative(modulesDir, abs));
  }
}
for (const pkg of packages) walk(pkg, join(modulesDir, pkg));
const listFile = join(tmpdir(), `me-pack-${process.pid}.txt`);
writeFileSync(listFile, `${files.join('\n')}\n`);
const bytes = files.reduce((s, f) => s + statSync(join(modulesDir, f)).size, 0);
say(
  `modules: ${packages.length} packages, ${files.length} files, ${(bytes / 2 ** 20).toFixed(1)} MiB before compression`,
);

const xz = (target, tarArgs) =>
  execFileSync('sh', ['-c', `tar ${tarArgs} | xz -T0 -6 > "${target}"`], {
    stdio: ['ignore', 'inherit', 'inherit'],
  });
const again = (name) => args.fresh || !existsSync(join(out, name));
if (again('modules.tar.xz')) xz(join(out, 'modules.tar.xz'), `-C "${modulesDir}" -cf - -T "${listFile}"`);
rmSync(listFile);
xz(join(out, 'dist.tar.xz'), `-C "${root}" -cf - dist`);
if (!args['skip-node'] && !existsSync(join(out, 'node.xz'))) {
  execFileSync('sh', ['-c', `xz -T0 -6 -c "${process.execPath}" > "${join(out, 'node.xz')}"`]);
}

// 30 frames of the agent's test clip (face-api's sample6, 4 people, panned), as agent-fps.mjs makes it.
const frames = join(tmpdir(), `me-frames-${process.pid}`);
mkdirSync(frames, { recursive: true });
if (again('frames.tar'))
  execFileSync('ffmpeg', [
    '-v',
    'error',
    '-y',
    '-loop',
    '1',
    '-framerate',
    '30',
    '-i',
    join(modulesDir, '@vladmandic/face-api/demo/sample6.jpg'),
    '-t',
    '1',
    '-vf',
    "scale=760:-2,crop=640:480:x='60+50*sin(t*0.8)':y='(ih-480)/3'",
    '-q:v',
    '4',
    join(frames, 'frame-%03d.jpg'),
  ]);
if (again('frames.tar')) execFileSync('tar', ['-C', frames, '-cf', join(out, 'frames.tar'), '.']);
rmSync(frames, { recursive: true, force: true });

// Training data: 64 px crops of the Kaggle set, at most 400 per label in train and 40 in val/test.
const shared = join(root, '..', 'shared', 'data', 'kaggle-face-mask');
const prepared = join(tmpdir(), `me-prepared-${process.pid}`);
const subset = join(tmpdir(), `me-subset-${process.pid}`);
if (!again('data.tar')) {
  // kept from an earlier pack
} else if (existsSync(shared)) {
  execFileSync(
    process.execPath,
    [
      join(root, 'bin', 'mask-edge.js'),
      'data',
      'prepare',
      '--data',
      shared,
      '--out',
      prepared,
      '--size',
      '64',
    ],
    {
      stdio: ['ignore', 'ignore', 'inherit'],
    },
  );
  for (const split of ['train', 'val', 'test']) {
    for (const label of ['correct', 'incorrect', 'no_mask']) {
      const from = join(prepared, split, label);
      if (!existsSync(from)) continue;
      const to = join(subset, split, label);
      mkdirSync(to, { recursive: true });
      const names = readdirSync(from)
        .sort()
        .slice(0, split === 'train' ? 400 : 40);
      for (const n of names) execFileSync('cp', [join(from, n), join(to, n)]);
    }
  }
  execFileSync('tar', ['-C', subset, '-cf', join(out, 'data.tar'), '.']);
  rmSync(prepared, { recursive: true, force: true });
  rmSync(subset, { recursive: true, force: true });
} else {
  say(`pack: no ${shared}: the device's training runs will be skipped`);
}

let total = 0;
for (const f of readdirSync(out)) {
  const size = statSync(join(out, f)).size;
  total += size;
  say(`  ${f}: ${(size / 2 ** 20).toFixed(1)} MiB`);
}
const tracked = Number(
  execFileSync('sh', ['-c', 'git ls-files -z | xargs -0 du -cb 2>/dev/null | tail -1 | cut -f1'], {
    cwd: root,
    encoding: 'utf8',
  }).trim(),
);
const all = (total + tracked) / 2 ** 20;
say(
  `.devcarry: ${(total / 2 ** 20).toFixed(1)} MiB; with the tracked tree ${all.toFixed(1)} MiB (limit 64 MiB with .gl)`,
);
if (all > Number(args['budget-mib'])) {
  say(`pack: over the ${args['budget-mib']} MiB budget`);
  process.exit(1);
}
