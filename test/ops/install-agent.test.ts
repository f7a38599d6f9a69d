import { execFileSync, spawnSync } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MODELS_DIR } from '../../src/core/package-paths.js';
import { loadAgentConfig } from '../../src/edge/config/agent-config.js';
import { configHoldsSecret, INSTALL_PATHS, run } from '../../src/edge/install/install-agent-command.js';
import { compileChild } from '../helpers/ts-child.js';

const SYSTEMD_ANALYZE = ['/usr/bin/systemd-analyze', '/bin/systemd-analyze'].find((p) => existsSync(p));

describe('mask-edge install-agent --root', () => {
  it('writes the unit, a valid config pointing at the installed models, the models, and prints next steps', async () => {
    const root = mkdtempSync(join(tmpdir(), 'install-'));
    const lines: string[] = [];
    await run({ root }, { out: (l) => lines.push(l) });
    const unit = readFileSync(join(root, INSTALL_PATHS.unit), 'utf8');
    expect(unit).toContain(`ExecStart=${process.execPath} `);
    expect(unit).toMatch(/bin\/mask-edge\.js agent --config \/etc\/mask-edge\/agent\.yaml$/m);
    for (const key of [
      'Type=notify',
      'WatchdogSec=',
      'StateDirectory=mask-edge',
      'ProtectSystem=strict',
      'NoNewPrivileges=yes',
    ]) {
      expect(unit).toContain(key);
    }
    const config = loadAgentConfig(join(root, INSTALL_PATHS.config));
    expect(config.models.detector).toBe(`${INSTALL_PATHS.models}/face-detector.onnx`);
    expect(config.models.classifier).toBe(`${INSTALL_PATHS.models}/mask-classifier.int8.onnx`);
    const bundled = existsSync(MODELS_DIR) ? readdirSync(MODELS_DIR).filter((n) => n.endsWith('.onnx')) : [];
    for (const name of bundled) {
      const installed = join(root, INSTALL_PATHS.models, name);
      expect(readFileSync(installed).equals(readFileSync(join(MODELS_DIR, name)))).toBe(true);
    }
    expect(statSync(join(root, INSTALL_PATHS.credentials)).mode & 0o777).toBe(0o700);
    expect(lines.join('\n')).toContain('systemctl daemon-reload && systemctl enable --now mask-edge-agent');

    // A second run keeps the operator's edited config unless --force.
    writeFileSync(join(root, INSTALL_PATHS.config), '# edited\ncameras: [{id: a, source: /tmp}]\n');
    await run({ root }, { out: () => undefined });
    expect(readFileSync(join(root, INSTALL_PATHS.config), 'utf8')).toContain('# edited');
    await run({ root, force: true }, { out: () => undefined });
    expect(readFileSync(join(root, INSTALL_PATHS.config), 'utf8')).not.toContain('# edited');
  });

  it('--dry-run lists the files and writes nothing', async () => {
    const root = mkdtempSync(join(tmpdir(), 'install-dry-'));
    const lines: string[] = [];
    await run({ root, dryRun: true }, { out: (l) => lines.push(l) });
    expect(readdirSync(root)).toEqual([]);
    expect(lines.join('\n')).toContain(join(root, INSTALL_PATHS.unit));
    expect(lines[0]).toMatch(/^dry run/);
  });

  it.skipIf(!SYSTEMD_ANALYZE)(
    'the installed unit passes systemd-analyze verify and scores OK on security',
    async () => {
      const root = mkdtempSync(join(tmpdir(), 'install-sd-'));
      await run({ root }, { out: () => undefined });
      const unit = join(root, INSTALL_PATHS.unit);
      execFileSync(SYSTEMD_ANALYZE!, ['verify', unit], { stdio: 'pipe' });
      const security = execFileSync(SYSTEMD_ANALYZE!, ['security', '--offline=true', unit], {
        encoding: 'utf8',
      });
      const score = Number(/Overall exposure level for \S+: ([\d.]+)/.exec(security)?.[1]);
      console.log(`systemd-analyze security exposure: ${score}`);
      expect(score).toBeLessThan(3);
    },
  );
});

describe('install-agent and secrets, odd install places, closed pipes', () => {
  const CONFIG_WITH_PASSWORD = 'cameras:\n  - id: door\n    source: rtsp://admin:hunter2@cam.local/stream\n';

  it('a config holding a password is made 0600 and the unit reads it as a systemd credential', async () => {
    const root = mkdtempSync(join(tmpdir(), 'install-secret-'));
    await run({ root, dryRun: false }, { out: () => undefined });
    const config = join(root, INSTALL_PATHS.config);
    expect(statSync(config).mode & 0o777).toBe(0o644);
    expect(readFileSync(join(root, INSTALL_PATHS.unit), 'utf8')).not.toContain('LoadCredential=agent.yaml');
    writeFileSync(config, CONFIG_WITH_PASSWORD, { mode: 0o644 });
    chmodSync(config, 0o644);
    const lines: string[] = [];
    await run({ root }, { out: (l) => lines.push(l) });
    const mode = statSync(config).mode & 0o777;
    console.log(
      `[measure] install-agent: config with a password ${(0o644).toString(8)} -> ${mode.toString(8)}`,
    );
    expect(mode).toBe(0o600);
    expect(readFileSync(config, 'utf8')).toBe(CONFIG_WITH_PASSWORD);
    const unit = readFileSync(join(root, INSTALL_PATHS.unit), 'utf8');
    expect(unit).toContain(`LoadCredential=agent.yaml:${INSTALL_PATHS.config}`);
    expect(unit).toMatch(/^ExecStart=.* agent --config \$\{CREDENTIALS_DIRECTORY\}\/agent\.yaml$/m);
    expect(unit).toMatch(
      /^ExecStartPre=.* --config \$\{CREDENTIALS_DIRECTORY\}\/agent\.yaml --check-config$/m,
    );
    expect(lines.join('\n')).toContain('chmod 0600');
    expect(lines.join('\n')).toMatch(/warning: .*holds a password in clear/);
    expect(lines.join('\n')).not.toContain('hunter2');
    if (SYSTEMD_ANALYZE)
      execFileSync(SYSTEMD_ANALYZE, ['verify', join(root, INSTALL_PATHS.unit)], { stdio: 'pipe' });
  });

  it('references instead of secrets keep the config 0644 and the plain unit', async () => {
    expect(configHoldsSecret(`source: rtsp://admin:\${CAM_PASSWORD}@cam/s\n`)).toBe(false);
    expect(configHoldsSecret(`mqtt:\n  password: \${credential:mqtt-password}\n`)).toBe(false);
    expect(configHoldsSecret('mqtt:\n  password: hunter2\n')).toBe(true);
    expect(configHoldsSecret('  # url: rtsp://user:pass@cam/s   (a comment)\n')).toBe(false);
    expect(configHoldsSecret(CONFIG_WITH_PASSWORD)).toBe(true);
  });

  it('warns when the package sits under /tmp (PrivateTmp) or node comes from a home folder (ProtectHome)', async () => {
    const lines: string[] = [];
    await run(
      { root: mkdtempSync(join(tmpdir(), 'install-where-')), dryRun: true },
      {
        out: (l) => lines.push(l),
        nodePath: '/home/ops/.nvm/versions/node/v20.19.0/bin/node',
        packageRoot: '/tmp/mask-edge-1.0.0/package',
      },
    );
    const text = lines.join('\n');
    expect(text).toMatch(
      /warning: mask-edge runs from \/tmp\/mask-edge-1\.0\.0\/package, which PrivateTmp=yes hides/,
    );
    expect(text).toMatch(/warning: node is \/home\/ops\/\.nvm\/.*ProtectHome=yes hides/);
    const clean: string[] = [];
    await run(
      { root: mkdtempSync(join(tmpdir(), 'install-where-')), dryRun: true },
      {
        out: (l) => clean.push(l),
        nodePath: '/usr/bin/node',
        packageRoot: '/usr/lib/node_modules/mask-edge',
      },
    );
    expect(clean.join('\n')).not.toMatch(/PrivateTmp|ProtectHome/);
  });

  it('`install-agent | head -1` ends quietly: exit 0, no EPIPE stack trace (compiled CLI)', async () => {
    const cli = compileChild(join(import.meta.dirname, '..', 'mqtt', 'cli-child.ts'));
    const root = mkdtempSync(join(tmpdir(), 'install-pipe-'));
    const writer = `"${process.execPath}" "${cli}" install-agent --root "${root}" --dry-run`;
    const ran = spawnSync(
      'bash',
      ['-c', `${writer} 2>"${root}/stderr" | head -1; echo "status=\${PIPESTATUS[0]}"`],
      {
        encoding: 'utf8',
      },
    );
    const [first, status] = ran.stdout.trim().split('\n');
    const stderr = readFileSync(join(root, 'stderr'), 'utf8');
    console.log(`[measure] install-agent | head -1: writer ${status}, stderr ${stderr.length} bytes`);
    expect(first).toMatch(/^dry run: would install into/);
    expect(status).toBe('status=0');
    expect(stderr).not.toContain('EPIPE');
    expect(stderr).toBe('');
  }, 180_000);
});
