import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import type { z } from 'zod';
import { PACKAGE_ROOT } from '../../src/core/package-paths.js';
import {
  agentConfigSchema,
  loadAgentConfig,
  parseAgentConfig,
  resolveDeviceId,
  resolveOutboxDir,
} from '../../src/edge/config/agent-config.js';

const EXAMPLE = join(PACKAGE_ROOT, 'configs', 'agent.example.yaml');

/** Every object field in the schema as a dotted path, with whether it carries a description. */
function fields(schema: z.ZodType, path = ''): { path: string; key: string; described: boolean }[] {
  const def = (schema as unknown as { _zod: { def: Record<string, unknown> & { type: string } } })._zod.def;
  switch (def.type) {
    case 'optional':
    case 'default':
    case 'prefault':
    case 'nullable':
      return fields(def.innerType as z.ZodType, path);
    case 'pipe':
      return fields(def.out as z.ZodType, path);
    case 'array':
      return fields(def.element as z.ZodType, `${path}[]`);
    case 'union':
      return (def.options as z.ZodType[]).flatMap((o) => fields(o, path));
    case 'object':
      return Object.entries(def.shape as Record<string, z.ZodType>).flatMap(([key, value]) => [
        { path: path ? `${path}.${key}` : key, key, described: described(value) },
        ...fields(value, path ? `${path}.${key}` : key),
      ]);
    default:
      return [];
  }
}

/** A description on the field or on what it wraps (`.partial()` wraps described fields in optional). */
function described(schema: z.ZodType): boolean {
  if (schema.description) return true;
  const def = (schema as unknown as { _zod: { def: { type: string; innerType?: z.ZodType } } })._zod.def;
  return ['optional', 'default', 'prefault', 'nullable'].includes(def.type) && def.innerType
    ? described(def.innerType)
    : false;
}

describe('agent config', () => {
  it('configs/agent.example.yaml parses with the schema', () => {
    const config = loadAgentConfig(EXAMPLE);
    expect(config.device.id).toBe('clinic-door-1');
    expect(config.mqtt).toMatchObject({
      url: 'mqtt://127.0.0.1:1883',
      protocolVersion: 5,
      topicPrefix: 'mask-edge',
    });
    expect(config.cameras.map((c) => c.id)).toEqual(['door', 'counter', 'photos']);
  });

  it('the example documents every field of the schema, and every field has a description', () => {
    const text = readFileSync(EXAMPLE, 'utf8');
    const all = fields(agentConfigSchema);
    expect(all.length).toBeGreaterThan(60);
    const undocumented = [
      ...new Set(all.filter((f) => !new RegExp(`\\b${f.key}:`).test(text)).map((f) => f.path)),
    ];
    expect(undocumented).toEqual([]);
    expect(all.filter((f) => !f.described).map((f) => f.path)).toEqual([]);
  });

  it('lists every problem with its path', () => {
    const raw = parse(readFileSync(EXAMPLE, 'utf8'));
    raw.mqtt.url = 'http://broker';
    raw.mqtt.protocolVersion = 4;
    raw.mqtt.tls = { cert: '/etc/c.pem' };
    raw.outbox.maxEvents = 0;
    raw.health.port = 70000;
    raw.device.id = 'has space';
    raw.mqtt.pasword = 'typo';
    let error: unknown;
    try {
      parseAgentConfig(raw, 'agent.yaml');
    } catch (err) {
      error = err;
    }
    expect(error).toMatchObject({ code: 'E_CONFIG' });
    const paths = (error as { detail: { issues: { path: string }[] } }).detail.issues
      .map((i) => i.path)
      .sort();
    expect(paths).toEqual(
      [
        'device.id',
        'health.port',
        'mqtt.pasword',
        'mqtt.protocolVersion',
        'mqtt.tls.key',
        'mqtt.url',
        'outbox.maxEvents',
      ].sort(),
    );
    expect((error as Error).message).toContain('mqtt.url');
    expect((error as Error).message).toContain('mqtt.pasword: unknown key; did you mean "password"?');
    expect((error as Error).message).toContain(
      'health.port: must be a whole number >= 0 and <= 65535 (got 70000)',
    );
    expect((error as Error).message).not.toContain('typo');
  });

  it('refuses a password inside the broker URL (it would be logged) and accepts one in its own field', () => {
    const cameras = [{ id: 'a', source: '/tmp/photos' }];
    expect(() => parseAgentConfig({ mqtt: { url: 'mqtts://edge:hunter2@broker:8883' }, cameras })).toThrow(
      expect.objectContaining({
        detail: expect.objectContaining({ issues: [expect.objectContaining({ path: 'mqtt.url' })] }),
      }),
    );
    const ok = parseAgentConfig({
      mqtt: { url: 'mqtts://broker:8883', username: 'edge', password: 'hunter2' },
      cameras,
    });
    expect(ok.mqtt.password).toBe('hunter2');
  });

  it('a file that is not YAML or does not exist gives a coded error with the path', () => {
    const dir = mkdtempSync(join(tmpdir(), 'cfg-'));
    const bad = join(dir, 'bad.yaml');
    writeFileSync(bad, 'mqtt: [unclosed');
    expect(() => loadAgentConfig(bad)).toThrow(
      expect.objectContaining({ code: 'E_CONFIG', detail: { path: bad } }),
    );
    expect(() => loadAgentConfig(join(dir, 'none.yaml'))).toThrow(
      expect.objectContaining({ code: 'E_NOT_FOUND' }),
    );
  });

  it('device id defaults to a topic-safe host name; outbox to the systemd state directory', () => {
    const config = parseAgentConfig({ cameras: [{ id: 'a', source: '/tmp/photos' }] });
    expect(resolveDeviceId(config, 'edge box#1.local')).toBe('edge-box-1.local');
    expect(resolveOutboxDir(config, { STATE_DIRECTORY: '/var/lib/mask-edge' })).toBe(
      '/var/lib/mask-edge/outbox',
    );
    expect(resolveOutboxDir(config, { XDG_STATE_HOME: '/x' })).toBe('/x/mask-edge/outbox');
  });
});
