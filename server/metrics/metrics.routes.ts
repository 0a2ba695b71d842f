import { createHash, timingSafeEqual } from 'node:crypto';
import { Hono } from 'hono';
import type { AppEnv } from '../http-env.ts';
import { AppError } from '../errors.ts';
import { errorResponse } from '../middleware/error-handler.ts';
import type { Metrics } from './metrics.ts';

const digest = (value: string) => createHash('sha256').update(value).digest();

/**
 * `GET /metrics` in the Prometheus text format. With `token` set, the caller must send
 * `Authorization: Bearer <token>`; the comparison is constant-time over SHA-256 digests, so
 * neither the token's content nor its length leaks through timing.
 */
export function metricsRoutes(metrics: Metrics, token: string | undefined) {
  const expected = token === undefined ? undefined : digest(token);
  return new Hono<AppEnv>().get('/metrics', async (c) => {
    if (expected) {
      const given = /^Bearer\s+(\S+)$/i.exec(c.req.header('authorization') ?? '')?.[1];
      if (given === undefined || !timingSafeEqual(digest(given), expected)) {
        const res = errorResponse(c, new AppError('UNAUTHORIZED', 'GET /metrics needs Authorization: Bearer <METRICS_TOKEN>'));
        res.headers.set('WWW-Authenticate', 'Bearer realm="metrics"');
        return res;
      }
    }
    return c.body(await metrics.scrape(), 200, { 'Content-Type': metrics.contentType });
  });
}
