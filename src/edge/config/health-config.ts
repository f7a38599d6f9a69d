/**
 * The `health` section: the local HTTP endpoint serving `/healthz`, Prometheus `/metrics` and the read-only
 * live page at `/` (frames, states, events, stats).
 */
import { z } from 'zod';

export const healthConfigSchema = z
  .object({
    enabled: z.boolean().default(true).describe('serve /healthz and /metrics'),
    host: z
      .string()
      .min(1)
      .max(253)
      .default('127.0.0.1')
      .describe('listen address; keep it local (127.0.0.1) unless a scraper needs it from outside'),
    port: z.number().int().min(0).max(65535).default(9108).describe('listen port (0: any free port)'),
    token: z
      .string()
      .min(16, 'at least 16 characters')
      .optional()
      .describe(
        'bearer token for the live page data (frames, events); required to serve them on a non-loopback host (or MASK_EDGE_HEALTH_TOKEN)',
      ),
    livePage: z.boolean().default(true).describe('serve the live page at / (frames, states, events, stats)'),
    staleSeconds: z
      .number()
      .min(0.1)
      .max(86_400)
      .default(60)
      .describe('/healthz fails when no camera produced a frame for this long, 0.1-86400'),
  })
  .strict();

export type HealthConfig = z.infer<typeof healthConfigSchema>;
