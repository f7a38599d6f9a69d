/**
 * `mask-edge install-agent [--root DIR] [--dry-run] [--force]`: installs the systemd unit, the config and
 * the bundled models, then prints the next steps. `--root` installs into a staging tree (packaging,
 * tests); the files written refer to their final paths (/etc/mask-edge/agent.yaml, /opt/mask-edge/models).
 */
import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join } from 'node:path';
import { MaskEdgeError } from '../../core/errors.js';
import { MODELS_DIR, PACKAGE_ROOT } from '../../core/package-paths.js';
import { hasUrlCredentials } from '../../core/secret-text.js';

export interface InstallAgentOptions {
  root?: string;
  dryRun?: boolean;
  force?: boolean;
}

export interface InstallIo {
  out?: (line: string) => void;
  /** The node binary the unit will run (default: this one); warned about when ProtectHome hides it. */
  nodePath?: string;
  /** Where this package sits (default: the real one); warned about under /tmp or /home. */
  packageRoot?: string;
  /** The command line that starts mask-edge (default: this node and this package's bin/mask-edge.js). */
  launcher?: string;
}

export const INSTALL_PATHS = {
  unit: '/etc/systemd/system/mask-edge-agent.service',
  config: '/etc/mask-edge/agent.yaml',
  credentials: '/etc/mask-edge/credentials',
  models: '/opt/mask-edge/models',
} as const;

type Step =
  | { kind: 'write'; path: string; content: string; mode: number; note: string }
  | { kind: 'copy'; path: string; from: string; mode: number; note: string }
  | { kind: 'mkdir'; path: string; mode: number; note: string }
  | { kind: 'keep'; path: string; note: string }
  | { kind: 'chmod'; path: string; mode: number; note: string };

/** The unit with ExecStart/ExecStartPre pointing at the mask-edge that runs this install. */
export function renderUnit(template: string, launcher: string): string {
  return template.replaceAll('/usr/local/bin/mask-edge', launcher);
}

/** The example config with the model paths set to the installed models. */
export function renderConfig(example: string, modelsDir: string): string {
  return example
    .replace(/^ {2}# detector: .*$/m, `  detector: ${modelsDir}/face-detector.onnx`)
    .replace(/^ {2}# classifier: .*$/m, `  classifier: ${modelsDir}/mask-classifier.int8.onnx`);
}

/**
 * True when a config text holds a secret in clear: a URL with user info, or a `password:` / `key:`-like
 * value that is not a `${...}` reference (references point at the environment or systemd credentials).
 */
export function configHoldsSecret(text: string): boolean {
  for (const raw of text.split('\n')) {
    const line = raw.replace(/(^|\s)#.*$/, '');
    if (hasUrlCredentials(line) && !/:\/\/[^@\s]*\$\{[^}]+\}[^@\s]*@/.test(line)) return true;
    const m = /^\s*(password|username|token|secret)\s*:\s*(\S.*)$/i.exec(line);
    if (m && !/^['"]?\$\{[^}]+\}['"]?$/.test(m[2]!.trim())) return true;
  }
  return false;
}

/**
 * A unit that reads a secret-holding config as a systemd credential: the file stays root-only (0600) and
 * systemd hands the service (a DynamicUser, who could not read it) a private copy in $CREDENTIALS_DIRECTORY.
 */
export function unitReadingConfigAsCredential(unit: string, configPath: string): string {
  const withCredential = unit.replace(
    /^(\[Service\]\n)/m,
    `$1# The config holds a secret: it is root-only (0600) and reaches the service as a credential.\nLoadCredential=agent.yaml:${configPath}\n`,
  );
  // systemd expands $CREDENTIALS_DIRECTORY (set for the service) in ExecStart= and ExecStartPre= lines.
  return withCredential.replaceAll(
    `--config ${configPath}`,
    '--config $' + '{CREDENTIALS_DIRECTORY}/agent.yaml',
  );
}

function plan(
  root: string,
  force: boolean,
  launcher: string,
  where: { nodePath: string; packageRoot: string },
): { steps: Step[]; warnings: string[] } {
  const warnings: string[] = [];
  const at = (p: string) => join(root, p);
  const read = (p: string) => {
    try {
      return readFileSync(p, 'utf8');
    } catch (cause) {
      throw new MaskEdgeError('E_NOT_FOUND', `packaged file missing: ${p}`, { detail: { path: p }, cause });
    }
  };
  const steps: Step[] = [];
  let unit = renderUnit(read(join(PACKAGE_ROOT, 'systemd', 'mask-edge-agent.service')), launcher);
  const configSteps: Step[] = [];
  let secret = false;
  if (existsSync(at(INSTALL_PATHS.config)) && !force) {
    const kept = read(at(INSTALL_PATHS.config));
    secret = configHoldsSecret(kept);
    const mode = statSync(at(INSTALL_PATHS.config)).mode & 0o777;
    configSteps.push({
      kind: 'keep',
      path: at(INSTALL_PATHS.config),
      note: 'config exists, kept (--force replaces it)',
    });
    if (secret && mode !== 0o600) {
      configSteps.push({
        kind: 'chmod',
        path: at(INSTALL_PATHS.config),
        mode: 0o600,
        note: `it holds a secret; was ${mode.toString(8).padStart(4, '0')}`,
      });
    }
  } else {
    const config = renderConfig(
      read(join(PACKAGE_ROOT, 'configs', 'agent.example.yaml')),
      INSTALL_PATHS.models,
    );
    secret = configHoldsSecret(config);
    configSteps.push({
      kind: 'write',
      path: at(INSTALL_PATHS.config),
      content: config,
      mode: secret ? 0o600 : 0o644,
      note: secret ? 'agent config, holds a secret: root only' : 'agent config',
    });
  }
  if (secret) {
    unit = unitReadingConfigAsCredential(unit, INSTALL_PATHS.config);
    warnings.push(
      `${INSTALL_PATHS.config} holds a password in clear: it is kept 0600 and the unit loads it as a systemd ` +
        'credential; better, move the secret to a credential file and write $' +
        '{credential:NAME} in its place',
    );
  }
  steps.push({
    kind: 'write',
    path: at(INSTALL_PATHS.unit),
    content: unit,
    mode: 0o644,
    note: secret ? 'systemd unit, config as a credential' : 'systemd unit',
  });
  steps.push(...configSteps);
  steps.push({
    kind: 'mkdir',
    path: at(INSTALL_PATHS.credentials),
    mode: 0o700,
    note: 'for LoadCredential= files',
  });
  const models = existsSync(MODELS_DIR)
    ? readdirSync(MODELS_DIR)
        .filter((n) => n.endsWith('.onnx'))
        .sort()
    : [];
  if (models.length === 0)
    warnings.push(
      `no bundled models found in ${MODELS_DIR}; copy your .onnx files to ${INSTALL_PATHS.models}`,
    );
  for (const name of ['face-detector.onnx', 'mask-classifier.int8.onnx']) {
    if (models.length > 0 && !models.includes(name))
      warnings.push(`bundled model ${name} is missing from ${MODELS_DIR}`);
  }
  for (const name of models) {
    steps.push({
      kind: 'copy',
      path: at(join(INSTALL_PATHS.models, name)),
      from: join(MODELS_DIR, name),
      mode: 0o644,
      note: 'model',
    });
  }
  if (/^\/(root|home)(\/|$)/.test(where.packageRoot)) {
    warnings.push(
      `mask-edge runs from ${where.packageRoot}, which ProtectHome=yes hides from the service: install the package ` +
        'outside /home and /root (e.g. npm install -g) and run install-agent from there',
    );
  }
  if (/^\/(var\/)?tmp(\/|$)/.test(where.packageRoot)) {
    warnings.push(
      `mask-edge runs from ${where.packageRoot}, which PrivateTmp=yes hides from the service (it gets an empty ` +
        '/tmp): install the package elsewhere (e.g. npm install -g) and run install-agent from there',
    );
  }
  if (/^\/(root|home)(\/|$)/.test(where.nodePath)) {
    warnings.push(
      `node is ${where.nodePath} (a home folder, e.g. nvm), which ProtectHome=yes hides from the service: ` +
        'install node system-wide (e.g. /usr/bin/node or /usr/local/bin/node) and run install-agent with it',
    );
  }
  return { steps, warnings };
}

function apply(step: Step): void {
  if (step.kind === 'keep') return;
  if (step.kind === 'chmod') {
    chmodSync(step.path, step.mode);
    return;
  }
  if (step.kind === 'mkdir') {
    mkdirSync(step.path, { recursive: true, mode: step.mode });
    chmodSync(step.path, step.mode);
    return;
  }
  mkdirSync(dirname(step.path), { recursive: true, mode: 0o755 });
  // Tighten an existing file before the new (maybe secret) content lands in it.
  if (existsSync(step.path)) chmodSync(step.path, step.mode);
  if (step.kind === 'write') writeFileSync(step.path, step.content, { mode: step.mode });
  else copyFileSync(step.from, step.path);
  chmodSync(step.path, step.mode);
}

function describe(step: Step): string {
  switch (step.kind) {
    case 'write':
      return `write ${step.path} (${step.note}, ${Buffer.byteLength(step.content)} bytes)`;
    case 'copy':
      return `copy  ${step.path} (${step.note}, ${statSync(step.from).size} bytes)`;
    case 'mkdir':
      return `mkdir ${step.path} (${step.note})`;
    case 'keep':
      return `keep  ${step.path} (${step.note})`;
    case 'chmod':
      return `chmod ${step.mode.toString(8).padStart(4, '0')} ${step.path} (${step.note})`;
  }
}

export async function run(opts: InstallAgentOptions, io: InstallIo = {}): Promise<void> {
  const out = io.out ?? ((line: string) => process.stdout.write(`${line}\n`));
  const root = opts.root ?? '/';
  const launcher = io.launcher ?? `${process.execPath} ${join(PACKAGE_ROOT, 'bin', 'mask-edge.js')}`;
  const { steps, warnings } = plan(root, opts.force ?? false, launcher, {
    nodePath: io.nodePath ?? process.execPath,
    packageRoot: io.packageRoot ?? PACKAGE_ROOT,
  });
  out(opts.dryRun ? `dry run: would install into ${root}` : `installing into ${root}`);
  for (const step of steps) {
    out(`  ${describe(step)}`);
    if (opts.dryRun) continue;
    try {
      apply(step);
    } catch (cause) {
      throw new MaskEdgeError('E_NOT_FOUND', `cannot write ${step.path}: ${(cause as Error).message}`, {
        detail: { path: step.path, hint: root === '/' ? 'run as root, or use --root DIR' : undefined },
        cause,
      });
    }
  }
  for (const w of warnings) out(`warning: ${w}`);
  out('');
  out('next steps:');
  out(`  1. edit ${INSTALL_PATHS.config}: device.id, mqtt.url (and TLS), cameras`);
  out(`     secrets: put files in ${INSTALL_PATHS.credentials}/ and uncomment LoadCredential= in the unit`);
  out(`  2. check it: ${launcher} agent --config ${INSTALL_PATHS.config} --check-config`);
  out('  3. start it: systemctl daemon-reload && systemctl enable --now mask-edge-agent');
  out('  4. watch it: journalctl -u mask-edge-agent -f   and   curl http://127.0.0.1:9108/healthz');
  out(`  5. see alerts from anywhere: mask-edge alerts --broker <mqtt-url>`);
}
