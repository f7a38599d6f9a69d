import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
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

  it('refuses a Node.js older than package.json engines with one clear line', () => {
    const dir = mkdtempSync(join(tmpdir(), 'engines-'));
    mkdirSync(join(dir, 'bin'));
    copyFileSync(bin, join(dir, 'bin', 'mask-edge.js'));
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ type: 'module', engines: { node: '>=99.1' } }));
    const res = spawnSync(process.execPath, [join(dir, 'bin', 'mask-edge.js'), '--help'], {
      encoding: 'utf8',
    });
    expect(res.status).toBe(2);
    expect(res.stderr).toContain(
      `mask-edge needs Node.js >=99.1 (package.json engines); this is ${process.version}`,
    );
  });

  it('declares the Node.js floor its dependencies need (node:zlib crc32: 20.15, vite: 20.19)', () => {
    const pkg = JSON.parse(readFileSync(join(PACKAGE_ROOT, 'package.json'), 'utf8'));
    expect(pkg.engines.node).toBe('>=20.19');
  });

  it.skipIf(!built)('maps a usage error to exit code 2', () => {
    const res = spawnSync(process.execPath, [bin, 'train'], { encoding: 'utf8' });
    expect(res.status).toBe(2);
    expect(res.stderr).toContain('--data');
  });
});

describe('consistent options', () => {
  /** Parses argv with the command's action replaced, returning what the action would receive. */
  async function parsed(argv: string[]): Promise<{ args: unknown[]; opts: Record<string, unknown> }> {
    const program = buildProgram();
    let seen: { args: unknown[]; opts: Record<string, unknown> } | undefined;
    const target =
      argv[0] === 'data'
        ? program.commands.find((c) => c.name() === 'data')!.commands.find((c) => c.name() === argv[1])!
        : program.commands.find((c) => c.name() === argv[0])!;
    target.action(function (this: typeof target, ...args: unknown[]) {
      seen = { args: args.slice(0, -2), opts: this.opts() };
    });
    await program.parseAsync(argv, { from: 'user' });
    return seen!;
  }

  it('data inspect takes --data like every other command, and the positional form still works', async () => {
    expect((await parsed(['data', 'inspect', '--data', 'a', '--data', 'b'])).opts.data).toEqual(['a', 'b']);
    expect((await parsed(['data', 'inspect', 'a', 'b'])).args[0]).toEqual(['a', 'b']);
  });

  it('bench takes --batch like eval; --batches stays as a hidden alias', async () => {
    expect((await parsed(['bench', '--batch', '1,8'])).opts.batch).toEqual([1, 8]);
    expect((await parsed(['bench', '--batches', '4'])).opts.batches).toEqual([4]);
    expect((await parsed(['eval', '--batch', '8', '--threads', '2'])).opts).toMatchObject({
      batch: 8,
      threads: 2,
    });
    const help = buildProgram()
      .commands.find((c) => c.name() === 'bench')!
      .helpInformation();
    expect(help).toContain('--batch <list>');
    expect(help).not.toContain('--batches');
  });

  it('alerts defaults to mqtt://localhost:1883 and negotiates the protocol', async () => {
    expect((await parsed(['alerts'])).opts).toMatchObject({
      broker: 'mqtt://localhost:1883',
      protocol: 'auto',
    });
  });
});
