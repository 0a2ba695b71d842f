import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { freePort } from '../../server/redis/local-server.ts';
import { testPrefix } from '../helpers/app.ts';
import { sample } from '../helpers/metrics.ts';
import { startServerProcess, type ServerProcess } from '../helpers/process.ts';

const entries = {
  node: ['node_modules/.bin/tsx', 'server/main.node.ts'],
  bun: ['node_modules/.bin/bun', 'server/main.bun.ts'],
} as const;

let running: ServerProcess | undefined;
afterEach(async () => {
  await running?.stop();
  running = undefined;
});

// prom-client's process metrics and the docs page over real HTTP, on each runtime.
describe.each(Object.entries(entries))('%s entry', (_runtime, command) => {
  it('serves /metrics with process metrics, /openapi.json and /docs', async () => {
    running = await startServerProcess([...command], {
      REDIS_URL: inject('redisUrl'),
      REDIS_KEY_PREFIX: testPrefix(),
      DATABASE_URL: 'memory://',
      METRICS_TOKEN: 'runtime-test-token-0123456789',
    }, await freePort());

    expect((await fetch(`${running.url}/metrics`)).status).toBe(401);
    const metrics = await fetch(`${running.url}/metrics`, { headers: { authorization: 'Bearer runtime-test-token-0123456789' } });
    expect(metrics.status).toBe(200);
    const text = await metrics.text();
    expect(sample(text, 'process_resident_memory_bytes')).toBeGreaterThan(0);
    // The readiness probe's GET /health requests were counted.
    expect(sample(text, 'http_request_duration_seconds_count', { route: '/health' })).toBeGreaterThanOrEqual(1);

    expect((await fetch(`${running.url}/openapi.json`)).status).toBe(200);
    const docs = await fetch(`${running.url}/docs`);
    expect(docs.status).toBe(200);
    expect(docs.headers.get('content-security-policy')).toMatch(/script-src 'nonce-/);
    expect(await docs.text()).toContain('/health');
  }, 60_000);
});

describe('a fresh checkout with REDIS_URL set', () => {
  it('starts with a DATA_DIR that does not exist yet: the PGlite directory is created', async () => {
    const root = mkdtempSync(join(tmpdir(), 'blog-fresh-'));
    try {
      running = await startServerProcess([...entries.node], {
        REDIS_URL: inject('redisUrl'),
        REDIS_KEY_PREFIX: testPrefix(),
        DATA_DIR: join(root, 'not', 'yet', 'there'),
      }, await freePort());
      expect(await (await fetch(`${running.url}/health`)).json()).toMatchObject({ status: 'ok', db: { status: 'up' } });
      expect(await running.stop()).toBe(0);
      running = undefined;
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  }, 60_000);
});
