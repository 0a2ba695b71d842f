import { healthSchema } from '../../../shared/health.ts';
import type { RouteDoc } from '../../openapi/route-doc.ts';

export const healthDocs: RouteDoc[] = [
  {
    method: 'get',
    path: '/health',
    summary: 'Liveness and store status',
    tags: ['health'],
    responses: {
      200: { description: 'Both stores are up', schema: healthSchema },
      503: { description: 'A store is down (`degraded`: Redis; `down`: SQL)', schema: healthSchema },
    },
  },
];
