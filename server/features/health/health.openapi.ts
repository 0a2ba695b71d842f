import { healthSchema } from '../../../shared/health.ts';
import { route } from '../../openapi/route-doc.ts';

const up = { status: 'ok', redis: { status: 'up', latencyMs: 0.4 }, db: { status: 'up' }, uptimeSeconds: 3600, version: '0.1.0' };

export const health = route({
  method: 'get',
  path: '/health',
  summary: 'Health check',
  description: 'Liveness and the status of both stores, for load balancers and probes. Spends no rate-limit budget.',
  tags: ['health'],
  rateLimited: false,
  responses: {
    200: { description: 'Both stores are up', schema: healthSchema, example: up },
    503: {
      description: 'A store is down (`degraded`: Redis; `down`: SQL)',
      schema: healthSchema,
      example: { ...up, status: 'degraded', redis: { status: 'down', latencyMs: null } },
    },
  },
});

export const healthDocs = [health];
