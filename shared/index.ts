/** The contract shared by server and client: zod schemas, their types, the error codes. */
export * from './auth.ts';
export * from './errors.ts';
export * from './health.ts';
export * from './events.ts';
export * from './posts.ts';
export * from './trending.ts';
export * from './geo.ts';
export * from './live-events.ts';
export * from './analytics.ts';
