import { existsSync } from 'node:fs';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { createClient } from '../../client/index.ts';
import { freePort } from '../../server/redis/local-server.ts';
import { testPrefix } from '../helpers/app.ts';
import { sample } from '../helpers/metrics.ts';
import { nodeEntry, startServerProcess, type ServerProcess } from '../helpers/process.ts';

const entries = {
  node: nodeEntry,
  bun: ['node_modules/.bin/bun', 'server/main.bun.ts'],
} as const;

const metricsToken = 'entries-test-metrics-token';
let running: ServerProcess | undefined;
afterEach(async () => {
  await running?.stop();
  running = undefined;
});

describe.each(Object.entries(entries))('%s entry', (runtime, command) => {
  it('serves health and the typed client, then shuts down cleanly on SIGTERM', async () => {
    expect(existsSync(command[0]), `${command[0]} is installed by npm ci`).toBe(true);
    const port = await freePort();
    running = await startServerProcess([...command], {
      REDIS_URL: inject('redisUrl'),
      REDIS_KEY_PREFIX: testPrefix(),
      DATABASE_URL: 'memory://',
      METRICS_TOKEN: metricsToken,
    }, port);

    const api = createClient({ url: running.url });
    const health = await api.health.query();
    expect(health).toMatchObject({ status: 'ok', redis: { status: 'up' }, db: { status: 'up' } });

    // The operations routes: prom-client's process metrics and the docs page work on this runtime.
    expect((await fetch(`${running.url}/metrics`)).status).toBe(401);
    const metrics = await fetch(`${running.url}/metrics`, { headers: { authorization: `Bearer ${metricsToken}` } });
    expect(metrics.status).toBe(200);
    const text = await metrics.text();
    expect(sample(text, 'process_resident_memory_bytes')).toBeGreaterThan(0);
    expect(sample(text, 'blog_api_http_request_duration_seconds_count', { route: '/trpc/*' })).toBeGreaterThanOrEqual(1);
    const docs = await fetch(`${running.url}/docs`);
    expect(docs.status).toBe(200);
    expect(docs.headers.get('content-security-policy')).toMatch(/script-src [^;]*'nonce-/);

    const res = await fetch(`${running.url}/nope`);
    expect(res.status).toBe(404);

    expect(await running.stop()).toBe(0);
    expect(running.output()).not.toMatch(/error/i);
    running = undefined;
  }, 150_000);
});
