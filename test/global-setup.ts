import type { TestProject } from 'vitest/node';
import { findPostgresBin, startLocalPostgres, type LocalPostgres } from './helpers/postgres.ts';
import { startTestRedis, type TestRedis } from './helpers/redis.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    redisUrl: string;
    /** A throwaway PostgreSQL cluster, or null when PostgreSQL is not installed. */
    postgresUrl: string | null;
  }
}

let redis: TestRedis | undefined;
let postgres: LocalPostgres | undefined;

export default async function setup(project: TestProject) {
  redis = await startTestRedis();
  const pgBin = findPostgresBin();
  if (pgBin) postgres = await startLocalPostgres(pgBin);
  project.provide('redisUrl', redis.url);
  project.provide('postgresUrl', postgres?.url ?? null);
  console.log(`test stores: redis via ${redis.via} at ${redis.url}; postgres ${postgres ? 'at ' + postgres.url : 'not installed (PGlite only)'}`);
  return async () => {
    postgres?.stop();
    await redis?.stop();
  };
}
