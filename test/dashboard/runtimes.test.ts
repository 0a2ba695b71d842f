import { Redis } from 'ioredis';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { createKeys } from '../../server/redis/keys.ts';
import { freePort } from '../../server/redis/local-server.ts';
import { testPrefix } from '../helpers/app.ts';
import { nodeEntry, startServerProcess, type ServerProcess } from '../helpers/process.ts';

// The dashboard on each runtime: its files from disk and node_modules, and the world outline
// projected with d3-geo from world-atlas, with no build step.
const entries = {
  node: nodeEntry,
  bun: ['node_modules/.bin/bun', 'server/main.bun.ts'],
} as const;

let running: ServerProcess | undefined;
afterEach(async () => {
  await running?.stop();
  running = undefined;
});

describe.each(Object.entries(entries))('GET /admin on %s', (_runtime, command) => {
  it('serves the login form, the assets, and an admin the page with the map', async () => {
    const prefix = testPrefix();
    // Generous: a cold start of tsx or Bun on two busy cores.
    const env = { REDIS_URL: inject('redisUrl'), REDIS_KEY_PREFIX: prefix, DATABASE_URL: 'memory://' };
    running = await startServerProcess([...command], env, await freePort(), 120_000);
    const { url } = running;
    expect((await fetch(`${url}/admin`)).status).toBe(401);
    for (const name of ['uPlot.min.js', 'uPlot.min.css', 'dashboard.js', 'dashboard.css', 'login.js']) {
      expect((await fetch(`${url}/admin/assets/${name}`)).status, name).toBe(200);
    }

    const credentials = { email: 'ops@example.com', password: 'correct horse battery' };
    const post = (path: string) =>
      fetch(`${url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(credentials) });
    const { user } = (await (await post('/auth/register')).json()) as { user: { id: number } };
    // The role straight into its Redis mirror: the operator's grant (SQL, then Redis) is tested in test/auth.
    const redis = new Redis(inject('redisUrl'));
    try {
      await redis.sadd(createKeys(prefix).userRoles(user.id), 'admin');
    } finally {
      redis.disconnect();
    }
    const { sessionId } = (await (await post('/auth/login')).json()) as { sessionId: string };
    const page = await fetch(`${url}/admin`, { headers: { cookie: `sid=${sessionId}` } });
    expect(page.status).toBe(200);
    expect(await page.text()).toMatch(/<path class="land" d="M[^"]{10000,}"/);
    const map = await fetch(`${url}/admin/api/map`, { headers: { authorization: `Bearer ${sessionId}` } });
    expect(await map.json()).toEqual({ points: [], truncated: false });
  }, 240_000);
});
