import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { composeBytes, interpolate, readCompose } from '../helpers/compose.ts';

// No Docker engine runs here: this reads docker-compose.yml and the Dockerfile and checks their
// wiring; test/ops/production-stack.test.ts runs the same stack as plain processes.
const compose = readCompose();
const { api, postgres, redis } = compose.services;
const MB = 1024 * 1024;

describe('docker-compose.yml', () => {
  it('runs PostgreSQL and Redis beside the API, each with a health check the API waits for', () => {
    expect(postgres?.image).toMatch(/^postgres:15\b/); // Debian 12's PostgreSQL, which the tests run against
    expect(redis?.image).toMatch(/^redis:7\b/);
    expect(postgres?.healthcheck?.test.join(' ')).toMatch(/pg_isready -U blog -d blog/);
    expect(redis?.healthcheck?.test.join(' ')).toMatch(/redis-cli ping/);
    expect(api?.depends_on).toEqual({ redis: { condition: 'service_healthy' }, postgres: { condition: 'service_healthy' } });
  });

  it('keeps PostgreSQL and Redis data in named volumes', () => {
    expect(postgres?.volumes).toEqual(['postgres_data:/var/lib/postgresql/data']);
    expect(redis?.volumes).toEqual(['redis_data:/data']);
    expect(Object.keys(compose.volumes ?? {}).sort()).toEqual(['postgres_data', 'redis_data']);
  });

  it("the API reaches PostgreSQL through DATABASE_URL with the postgres service's user, password and database", () => {
    const env = { POSTGRES_PASSWORD: 'pw0123', ANALYTICS_VISITOR_SECRET: 'x'.repeat(32) };
    const url = new URL(interpolate(api!.environment!.DATABASE_URL!, env));
    const pg = postgres!.environment!;
    expect(url.protocol).toBe('postgres:');
    expect([url.hostname, url.port]).toEqual(['postgres', '5432']);
    expect(url.username).toBe(pg.POSTGRES_USER);
    expect(url.password).toBe(interpolate(pg.POSTGRES_PASSWORD!, env));
    expect(url.pathname).toBe(`/${pg.POSTGRES_DB}`);
    expect(api!.environment!.REDIS_URL).toBe('redis://redis:6379');
  });

  it('refuses to start without a PostgreSQL password, naming it', () => {
    expect(() => interpolate(postgres!.environment!.POSTGRES_PASSWORD!, {})).toThrow(/set POSTGRES_PASSWORD/);
  });

  it('sets memory limits with headroom over the measured figures (docs/operations.md, "Memory")', () => {
    const limit = (s: typeof api) => composeBytes(s?.deploy?.resources?.limits?.memory ?? '0');
    // The API on PostgreSQL: at most 150 MB resident (the target, measured 100-140 MB), plus half again.
    expect(limit(api)).toBeGreaterThanOrEqual(225 * MB);
    expect(limit(api)).toBeLessThanOrEqual(512 * MB);
    // PostgreSQL: 128 MB shared_buffers plus ten backends.
    expect(limit(postgres)).toBeGreaterThanOrEqual(384 * MB);
    // Redis: its maxmemory plus room for the AOF rewrite's fork.
    const maxmemory = composeBytes(/--maxmemory (\S+)/.exec(redis!.command ?? '')?.[1] ?? '0');
    expect(limit(redis)).toBeGreaterThanOrEqual(1.5 * maxmemory);
  });
});

describe('Dockerfile', () => {
  const dockerfile = readFileSync('Dockerfile', 'utf8');
  const [, build = '', runtime = ''] = dockerfile.split(/^FROM .* AS (?:build|runtime)$/m);

  it('compiles the server in a build stage, and runs the compiled JavaScript without a TypeScript loader', () => {
    expect(build).toMatch(/^RUN npm run build:server$/m);
    expect(runtime).toMatch(/^COPY --from=build \/app\/dist \.\/dist$/m);
    // The heap cap keeps the resident figure under the limit the compose file sets (docs/operations.md).
    expect(runtime).toMatch(/^CMD \["node", "--max-old-space-size=160", "dist\/server\/main\.node\.js"\]$/m);
    expect(runtime).not.toMatch(/tsx|typescript|\.ts\b/);
    expect(runtime).not.toMatch(/^COPY server\b/m);
  });
});
