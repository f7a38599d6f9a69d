import { describe, expect, it } from 'vitest';
import { healthConfigSchema } from '../../src/edge/config/health-config.js';
import type { DeliveryStats, RuntimeStats } from '../../src/edge/events/event-types.js';
import { startHealthServer } from '../../src/edge/health/health-server.js';

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
