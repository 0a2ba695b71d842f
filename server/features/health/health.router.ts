import { healthSchema } from '../../../shared/health.ts';
import { publicProcedure } from '../../trpc.ts';

/** `health` query: the same answer as GET /health. */
export const healthProcedure = publicProcedure.output(healthSchema).query(({ ctx }) => ctx.services.health.check());
