/**
 * The local health endpoint: `GET /healthz` (200 when the runtime runs and a camera delivered frames
 * recently, else 503, with a JSON body saying why; `status` is `degraded`, still 200, with `degraded`
 * reasons when a camera is offline, the broker is disconnected or the outbox cannot write) and `GET /metrics`
 * (Prometheus text, prom-client), computed from the runtime's stats and the sink's delivery figures at scrape
 * time; plus the read-only live page at `/` when the runtime offers one (live-routes.ts: frames, events, stats;
 * token rules there).
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { collectDefaultMetrics, Gauge, Registry } from 'prom-client';
import { MaskEdgeError } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import type { HealthConfig } from '../config/health-config.js';
import type { DeliveryStats, RuntimeStats } from '../events/event-types.js';
import type { LiveSource } from './live-contract.js';
import { handleLiveRoute, type LiveRoutesOptions, liveDataRefusal } from './live-routes.js';

export interface HealthProbes {
  stats: () => RuntimeStats;
  healthy: () => boolean;
  delivery?: () => DeliveryStats;
  /** The live page's data (frames, events); without it `/` is not served. */
  live?: LiveSource;
  logger?: Logger;
}

export interface HealthServer {
  url: string;
  close(): Promise<void>;
}

export function buildRegistry(probes: HealthProbes): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'mask_edge_' });
  const gauge = (name: string, help: string, labelNames: string[], collect: (g: Gauge) => void) =>
    new Gauge({
      name,
      help,
      labelNames,
      registers: [registry],
      collect() {
        this.reset();
        collect(this);
      },
    });
  gauge('mask_edge_fps', 'frames processed per second, all cameras', [], (g) => g.set(probes.stats().fps));
  gauge('mask_edge_latency_ms', 'frame latency (capture to events)', ['quantile'], (g) => {
    const { p50, p95 } = probes.stats().latencyMs;
    g.set({ quantile: '0.5' }, p50);
    g.set({ quantile: '0.95' }, p95);
  });
  gauge('mask_edge_frames_dropped', 'frames dropped since start', [], (g) =>
    g.set(probes.stats().droppedFrames),
  );
  gauge(
    'mask_edge_faces_rejected',
    'detector boxes the face verifier rejected as not faces since start (models.verifier)',
    ['camera'],
    (g) => {
      const cameras = (probes.stats().cameras ?? {}) as Record<string, { rejectedFaces?: number }>;
      for (const [camera, c] of Object.entries(cameras)) g.set({ camera }, c.rejectedFaces ?? 0);
    },
  );
  gauge('mask_edge_source_up', '1 when the camera source delivers frames', ['camera', 'state'], (g) => {
    for (const [camera, s] of Object.entries(probes.stats().sources)) {
      g.set({ camera, state: s.state }, s.state === 'online' ? 1 : 0);
    }
  });
  gauge('mask_edge_execution_provider', 'execution provider in use (value 1)', ['model', 'provider'], (g) => {
    for (const [model, provider] of Object.entries(probes.stats().providers)) g.set({ model, provider }, 1);
  });
  if (probes.delivery) {
    const delivery = probes.delivery;
    gauge('mask_edge_events_queued', 'events in the outbox waiting for a broker ack', [], (g) =>
      g.set(delivery().queuedEvents),
    );
    gauge(
      'mask_edge_events_dropped',
      'events dropped since start: oldest dropped when the outbox was full, or refused by the disk (ENOSPC)',
      [],
      (g) => g.set(delivery().droppedEvents),
    );
    gauge(
      'mask_edge_events_lost',
      'events found lost in a damaged outbox at start (issued seq, no readable record)',
      [],
      (g) => g.set(delivery().lostEvents ?? 0),
    );
    gauge('mask_edge_outbox_writable', '1 while the outbox can write (0: disk full or failing)', [], (g) =>
      g.set(delivery().outbox === undefined || delivery().outbox === 'ok' ? 1 : 0),
    );
    gauge('mask_edge_events_published', 'events acknowledged by the broker since start', [], (g) =>
      g.set(delivery().publishedEvents),
    );
    gauge('mask_edge_broker_connected', '1 while connected to the MQTT broker', [], (g) =>
      g.set(delivery().broker === 'connected' ? 1 : 0),
    );
  }
  return registry;
}

export async function startHealthServer(
  config: HealthConfig,
  probes: HealthProbes,
  env: NodeJS.ProcessEnv = process.env,
): Promise<HealthServer> {
  const registry = buildRegistry(probes);
  const token = config.token ?? (env.MASK_EDGE_HEALTH_TOKEN || undefined);
  const liveRoutes: LiveRoutesOptions = {
    host: config.host,
    ...(token ? { token } : {}),
    ...(config.livePage && probes.live ? { live: probes.live } : {}),
  };
  let lastOnline = Date.now();
  const health = () => {
    const stats = probes.stats();
    const states = Object.values(stats.sources).map((s) => s.state);
    if (states.includes('online')) lastOnline = Date.now();
    const staleSec = (Date.now() - lastOnline) / 1000;
    const problems: string[] = [];
    if (!probes.healthy()) problems.push('runtime not running');
    if (staleSec > config.staleSeconds) problems.push(`no camera online for ${Math.round(staleSec)} s`);
    const delivery = probes.delivery?.();
    return {
      ok: problems.length === 0,
      problems,
      degraded: degradedReasons(stats, delivery),
      sources: stats.sources,
      fps: stats.fps,
      ...delivery,
    };
  };
  const handler = async (req: IncomingMessage, res: ServerResponse) => {
    const path = (req.url ?? '/').split('?')[0];
    try {
      if (await handleLiveRoute(req, res, path ?? '/', liveRoutes)) return;
      if (req.method === 'GET' && path === '/healthz') {
        const h = health();
        const status = !h.ok ? 'unhealthy' : h.degraded.length > 0 ? 'degraded' : 'ok';
        res.writeHead(h.ok ? 200 : 503, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ status, ...h }));
      } else if (req.method === 'GET' && path === '/metrics') {
        const body = await registry.metrics();
        res.writeHead(200, { 'content-type': registry.contentType });
        res.end(body);
      } else {
        res.writeHead(404, { 'content-type': 'text/plain' });
        res.end('not found: try /, /healthz or /metrics\n');
      }
    } catch (err) {
      probes.logger?.warn('health request failed', { path, error: err as Error });
      res.writeHead(500, { 'content-type': 'text/plain' });
      res.end('internal error\n');
    }
  };
  const server = createServer((req, res) => void handler(req, res));
  const port = await new Promise<number>((resolve, reject) => {
    server.once('error', (cause) =>
      reject(
        new MaskEdgeError('E_CONFIG', `health endpoint cannot listen on ${config.host}:${config.port}`, {
          detail: { field: 'health', host: config.host, port: config.port, reason: (cause as Error).message },
          cause,
        }),
      ),
    );
    server.listen(config.port, config.host, () => {
      const address = server.address();
      resolve(typeof address === 'object' && address ? address.port : config.port);
    });
  });
  const host = config.host.includes(':') ? `[${config.host}]` : config.host;
  const url = `http://${host}:${port}`;
  probes.logger?.info('health endpoint', {
    healthz: `${url}/healthz`,
    metrics: `${url}/metrics`,
    ...(liveRoutes.live ? { livePage: `${url}/`, token: token ? 'required' : 'none' } : {}),
  });
  const refusal = liveRoutes.live ? liveDataRefusal(liveRoutes) : undefined;
  if (refusal) probes.logger?.warn(`LIVE PAGE DATA REFUSED: ${refusal}`, { host: config.host });
  return {
    url,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** What works only in part: offline cameras, a disconnected broker, an outbox that cannot write. */
export function degradedReasons(stats: RuntimeStats, delivery: DeliveryStats | undefined): string[] {
  const reasons: string[] = [];
  for (const [camera, source] of Object.entries(stats.sources)) {
    if (source.state === 'offline') {
      reasons.push(`camera ${camera} offline${source.error ? `: ${source.error}` : ''}`);
    }
  }
  if (delivery?.broker === 'disconnected') {
    reasons.push(`broker disconnected${delivery.brokerError ? `: ${delivery.brokerError}` : ''}`);
  }
  if (delivery?.outbox !== undefined && delivery.outbox !== 'ok') {
    reasons.push(`outbox cannot write (${delivery.outbox}); new events are dropped and counted`);
  }
  return reasons;
}
