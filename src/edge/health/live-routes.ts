/**
 * The live page's routes on the health server: `GET /` (the page: static HTML+JS, no data in it),
 * `GET /api/live` (cameras, newest events, stats as JSON) and `GET /frames/<camera>.jpg` (newest annotated
 * frame). The data routes hold faces, so:
 * - with a token (health.token or MASK_EDGE_HEALTH_TOKEN) they need `Authorization: Bearer <token>`;
 * - without one they are served on a loopback address only; on any other address they answer 403 (and the
 *   agent warns at start) rather than putting faces on the network unauthenticated. /healthz and /metrics
 *   are unaffected (no images; scrapers keep working as before).
 */
import { timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { isIP } from 'node:net';
import type { LiveSource } from './live-contract.js';
import { LIVE_PAGE_HTML } from './live-page-html.js';

export interface LiveRoutesOptions {
  host: string;
  token?: string;
  live?: LiveSource;
}

/** Whether a listen address only accepts connections from this machine. */
export function isLoopbackHost(host: string): boolean {
  if (host === 'localhost') return true;
  const kind = isIP(host);
  if (kind === 4) return host.startsWith('127.');
  if (kind === 6) return host === '::1' || host.toLowerCase() === '::ffff:127.0.0.1';
  return false;
}

/** Why the page's data is not served, or undefined when it is. */
export function liveDataRefusal(o: LiveRoutesOptions): string | undefined {
  if (!o.token && !isLoopbackHost(o.host)) {
    return `the live page's data (camera frames) is not served on ${o.host} without a token: set health.token (or MASK_EDGE_HEALTH_TOKEN), or listen on 127.0.0.1`;
  }
  return undefined;
}

/** Secrets that might hide in free text (a source error quoting a URL): user:password@ in URLs. */
export function redactUrlCredentials(text: string): string {
  return text.replace(/([a-z][a-z0-9+.-]*:\/\/)[^\s/@"]+@/gi, '$1***@');
}

/** Handles the live page's routes; false when the path is not one of them. */
export async function handleLiveRoute(
  req: IncomingMessage,
  res: ServerResponse,
  path: string,
  o: LiveRoutesOptions,
): Promise<boolean> {
  if (req.method !== 'GET' || !o.live) return false;
  if (path === '/' || path === '/index.html') {
    res.writeHead(200, {
      'content-type': 'text/html; charset=utf-8',
      'cache-control': 'no-store',
      'content-security-policy':
        "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src 'self' blob:; connect-src 'self'",
      'x-content-type-options': 'nosniff',
      'referrer-policy': 'no-referrer',
    });
    res.end(LIVE_PAGE_HTML);
    return true;
  }
  const frame = /^\/frames\/([A-Za-z0-9_-]{1,64})\.jpg$/.exec(path);
  if (path !== '/api/live' && !frame) return false;
  const refusal = liveDataRefusal(o);
  if (refusal) return send(res, 403, { error: refusal });
  if (o.token && !bearerMatches(req.headers.authorization, o.token)) {
    res.setHeader('www-authenticate', 'Bearer realm="mask-edge"');
    return send(res, 401, { error: 'bearer token required (Authorization: Bearer <health.token>)' });
  }
  if (frame) {
    const latest = await o.live.frame(frame[1]!);
    if (!latest) return send(res, 404, { error: `no frame yet for camera ${frame[1]}` });
    res.writeHead(200, {
      'content-type': 'image/jpeg',
      'cache-control': 'no-store',
      'x-frame-index': String(latest.index),
      'x-frame-ts': String(latest.ts),
    });
    res.end(latest.jpeg);
    return true;
  }
  const body = redactUrlCredentials(JSON.stringify({ ts: new Date().toISOString(), ...o.live.view() }));
  res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' });
  res.end(body);
  return true;
}

function bearerMatches(header: string | undefined, token: string): boolean {
  const m = /^Bearer\s+(\S+)$/i.exec(header ?? '');
  if (!m) return false;
  const given = Buffer.from(m[1]!);
  const wanted = Buffer.from(token);
  return given.length === wanted.length && timingSafeEqual(given, wanted);
}

function send(res: ServerResponse, status: number, body: unknown): true {
  res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
  res.end(JSON.stringify(body));
  return true;
}
