import { appRouter } from './router.ts';
import { forClients } from './trpc.ts';

/**
 * The router as a client sees it: the same procedures and error shape, the server's context
 * erased. The SDK's declarations carry this type written out in full, naming no server module.
 */
export const clientRouter = forClients(appRouter);
export type AppRouter = typeof clientRouter;
