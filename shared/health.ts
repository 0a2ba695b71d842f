import { z } from 'zod';

export const healthSchema = z.object({
  status: z.enum(['ok', 'degraded', 'down']),
  redis: z.object({
    status: z.enum(['up', 'down']),
    latencyMs: z.number().nonnegative().nullable(),
  }),
  db: z.object({ status: z.enum(['up', 'down']) }),
  uptimeSeconds: z.number().nonnegative(),
  version: z.string(),
});
export type Health = z.infer<typeof healthSchema>;
