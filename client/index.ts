/**
 * The typed client: createClient for one token, createSessionClient to log in and out, and the
 * shared types beside them. Types only from `shared/`: the runtime zod schemas live at
 * `redis-blog-api/schemas`, so a bundle that never validates a form carries no zod.
 */
export type { AppRouter } from '../server/client-router.ts';
export type * from '../shared/index.ts';
export * from './client.ts';
export { createSessionClient, type SessionClient, type SessionClientOptions } from './session.ts';
