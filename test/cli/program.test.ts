import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildProgram } from '../../src/cli/program.js';
import { PACKAGE_ROOT } from '../../src/core/package-paths.js';

const ALL_COMMANDS = ['train', 'export', 'eval', 'bench', 'agent', 'alerts', 'install-agent', 'demo', 'data'];

describe('buildProgram', () => {
  it('registers every command of the product', () => {
    const names = buildProgram().commands.map((c) => c.name());
    for (const name of ALL_COMMANDS) expect(names).toContain(name);
  });

  it('gives every command and option a description', () => {
    const walk = (cmd: ReturnType<typeof buildProgram>): void => {
      for (const sub of cmd.commands) {
        expect(sub.description(), `command ${sub.name()}`).not.toBe('');
        for (const opt of sub.options) expect(opt.description, `${sub.name()} ${opt.flags}`).not.toBe('');
        walk(sub);
      }
    };
    walk(buildProgram());
  });

  it('rejects a malformed integer option with the offending value', async () => {
    const program = buildProgram();
    program.exitOverride();
    let stderr = '';
    program.configureOutput({ writeErr: (s) => (stderr += s), outputError: (s, w) => w(s) });
    for (const cmd of program.commands)
      cmd.exitOverride().configureOutput({ writeErr: (s) => (stderr += s) });
    await expect(
      program.parseAsync(['train', '--data', 'x', '--epochs', 'many'], { from: 'user' }),
    ).rejects.toThrow();
    expect(stderr).toContain("'many'");
  });
});

describe('mask-edge binary', () => {
  const bin = join(PACKAGE_ROOT, 'bin', 'mask-edge.js');
  const built = existsSync(join(PACKAGE_ROOT, 'dist', 'cli', 'main.js'));

  it.skipIf(!built)('lists all commands in --help', () => {
    const out = execFileSync(process.execPath, [bin, '--help'], { encoding: 'utf8' });
    for (const name of ALL_COMMANDS) expect(out).toContain(name);
  });

  it.skipIf(!built)('maps a usage error to exit code 2', () => {
    const res = spawnSync(process.execPath, [bin, 'train'], { encoding: 'utf8' });
    expect(res.status).toBe(2);
    expect(res.stderr).toContain('--data');
  });
});
