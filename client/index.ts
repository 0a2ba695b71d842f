/** The typed client: createClient for one token, createSessionClient to log in and out; the shared schemas and types beside them. */
export type { AppRouter } from '../server/router.ts';
export * from '../shared/index.ts';
export * from './client.ts';
export { createSessionClient, type SessionClient, type SessionClientOptions } from './session.ts';
