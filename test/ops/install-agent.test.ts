import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MODELS_DIR } from '../../src/core/package-paths.js';
import { loadAgentConfig } from '../../src/edge/config/agent-config.js';
import { INSTALL_PATHS, run } from '../../src/edge/install/install-agent-command.js';

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
