import { describe, expect, it } from 'vitest';
import { Logger } from '../../src/core/logger.js';
import { healthConfigSchema } from '../../src/edge/config/health-config.js';
import type { DeliveryStats, RuntimeStats } from '../../src/edge/events/event-types.js';
import { startHealthServer } from '../../src/edge/health/health-server.js';
import { isLoopbackHost, redactUrlCredentials } from '../../src/edge/health/live-routes.js';

describe('health endpoint', () => {
  it('serves /healthz (200, then 503 when no camera is online) and Prometheus /metrics from live figures', async () => {
    const stats: RuntimeStats = {
      fps: 14.5,
      latencyMs: { p50: 21, p95: 40 },
      providers: { detector: 'cpu', classifier: 'cpu' },
      sources: { door: { state: 'online' } },
      droppedFrames: 3,
    };
    const delivery: DeliveryStats = {
      queuedEvents: 7,
      droppedEvents: 1,
      publishedEvents: 42,
      broker: 'disconnected',
    };
    const server = await startHealthServer(healthConfigSchema.parse({ port: 0, staleSeconds: 0.2 }), {
      stats: () => stats,
      healthy: () => true,
      delivery: () => delivery,
    });
    try {
      const ok = await fetch(`${server.url}/healthz`);
      expect(ok.status).toBe(200);
      // Up, but the broker is away: 200 with status 'degraded' and the reason.
      expect(await ok.json()).toMatchObject({
        status: 'degraded',
        degraded: ['broker disconnected'],
        queuedEvents: 7,
      });
      delivery.broker = 'connected';
      expect(await (await fetch(`${server.url}/healthz`)).json()).toMatchObject({
        status: 'ok',
        degraded: [],
      });
      delivery.broker = 'disconnected';
      const metrics = await (await fetch(`${server.url}/metrics`)).text();
      expect(metrics).toMatch(/^mask_edge_fps 14\.5$/m);
      expect(metrics).toMatch(/^mask_edge_latency_ms\{quantile="0\.95"\} 40$/m);
      expect(metrics).toMatch(/^mask_edge_events_queued 7$/m);
      expect(metrics).toMatch(/^mask_edge_broker_connected 0$/m);
      expect(metrics).toMatch(/^mask_edge_source_up\{camera="door",state="online"\} 1$/m);
      expect(metrics).toContain('mask_edge_process_cpu_user_seconds_total');
      stats.sources = { door: { state: 'offline', error: 'ffmpeg exited' } };
      await new Promise((r) => setTimeout(r, 300));
      const bad = await fetch(`${server.url}/healthz`);
      expect(bad.status).toBe(503);
      expect(((await bad.json()) as { problems: string[] }).problems[0]).toMatch(/no camera online/);
      expect((await fetch(`${server.url}/nope`)).status).toBe(404);
    } finally {
      await server.close();
    }
  });

  it('a port already in use is E_CONFIG naming the address', async () => {
    const first = await startHealthServer(healthConfigSchema.parse({ port: 0 }), {
      stats: () => ({ fps: 0, latencyMs: { p50: 0, p95: 0 }, providers: {}, sources: {}, droppedFrames: 0 }),
      healthy: () => true,
    });
    const port = Number(new URL(first.url).port);
    await expect(
      startHealthServer(healthConfigSchema.parse({ port }), {
        stats: () => ({}) as RuntimeStats,
        healthy: () => true,
      }),
    ).rejects.toMatchObject({ code: 'E_CONFIG', detail: { port } });
    await first.close();
  });
});

describe('live page routes', () => {
  const stats = (): RuntimeStats => ({
    fps: 1,
    latencyMs: { p50: 1, p95: 2 },
    providers: { detector: 'cpu' },
    sources: { door: { state: 'online' } },
    droppedFrames: 0,
  });
  const live = {
    view: () => ({ cameras: [], events: [], stats: stats() }),
    frame: async () => ({ jpeg: Buffer.from([0xff, 0xd8, 0xff, 0xd9]), ts: 1, index: 7 }),
  };
  const lines: string[] = [];
  const logger = new Logger({ level: 'info', json: true, sink: { write: (l: string) => lines.push(l) } });

  it('on a non-loopback address without a token: page data refused (403) with a loud warning; /healthz still served', async () => {
    const server = await startHealthServer(
      healthConfigSchema.parse({ host: '0.0.0.0', port: 0 }),
      { stats, healthy: () => true, live, logger },
      {},
    );
    try {
      const port = new URL(server.url).port;
      const api = await fetch(`http://127.0.0.1:${port}/api/live`);
      expect(api.status).toBe(403);
      expect(((await api.json()) as { error: string }).error).toMatch(/health\.token/);
      expect((await fetch(`http://127.0.0.1:${port}/frames/door.jpg`)).status).toBe(403);
      expect((await fetch(`http://127.0.0.1:${port}/healthz`)).status).toBe(200);
      expect(lines.join('')).toMatch(/LIVE PAGE DATA REFUSED/);
    } finally {
      await server.close();
    }
  });

  it('with a token (config or MASK_EDGE_HEALTH_TOKEN): bearer required, then frames and data served', async () => {
    const token = 'a-long-enough-test-token';
    const server = await startHealthServer(
      healthConfigSchema.parse({ host: '0.0.0.0', port: 0 }),
      { stats, healthy: () => true, live },
      { MASK_EDGE_HEALTH_TOKEN: token },
    );
    try {
      const port = new URL(server.url).port;
      const url = `http://127.0.0.1:${port}`;
      expect((await fetch(`${url}/api/live`)).status).toBe(401);
      expect((await fetch(`${url}/api/live`, { headers: { authorization: 'Bearer wrong' } })).status).toBe(
        401,
      );
      const auth = { headers: { authorization: `Bearer ${token}` } };
      expect((await fetch(`${url}/api/live`, auth)).status).toBe(200);
      const frame = await fetch(`${url}/frames/door.jpg`, auth);
      expect(frame.headers.get('x-frame-index')).toBe('7');
      const page = await fetch(`${url}/`);
      expect(page.status).toBe(200);
      expect(await page.text()).toContain('mask-edge live');
    } finally {
      await server.close();
    }
  });

  it('source URLs with credentials are masked in free text', () => {
    expect(redactUrlCredentials('rtsp://admin:hunter2@10.0.0.5/stream failed')).toBe(
      'rtsp://***@10.0.0.5/stream failed',
    );
    expect(isLoopbackHost('127.0.0.1')).toBe(true);
    expect(isLoopbackHost('::1')).toBe(true);
    expect(isLoopbackHost('0.0.0.0')).toBe(false);
  });
});
