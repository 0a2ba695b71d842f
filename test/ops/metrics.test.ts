import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { createTestApp, jsonRequest, type TestApp } from '../helpers/app.ts';
import { sample, scrape } from '../helpers/metrics.ts';
import { startProcessRedis } from '../helpers/redis.ts';
import { waitFor } from '../helpers/wait.ts';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(() => t.close());

const requests = (text: string, labels: Record<string, string>) =>
  sample(text, 'blog_api_http_request_duration_seconds_count', labels) ?? 0;

describe('GET /metrics', () => {
  it('answers the Prometheus text format with process metrics', async () => {
    const res = await t.app.request('/metrics');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = await res.text();
    expect(text).toContain('# TYPE blog_api_http_request_duration_seconds histogram');
    // A counter of CPU used since the registry was made: present, though a fast start may read 0.
    expect(sample(text, 'process_cpu_user_seconds_total')).toBeGreaterThanOrEqual(0);
  });
});

describe('request metrics', () => {
  it('a request moves the histogram of its route and status by one', async () => {
    const labels = { method: 'GET', route: '/health', status: '200' };
    const before = await scrape(t.app);
    expect((await t.app.request('/health')).status).toBe(200);
    const after = await scrape(t.app);
    expect(requests(after, labels)).toBe(requests(before, labels) + 1);
    expect(sample(after, 'blog_api_http_request_duration_seconds_sum', labels)).toBeGreaterThan(
      sample(before, 'blog_api_http_request_duration_seconds_sum', labels) ?? 0,
    );
  });

  it('labels by the route pattern, never the raw path: unknown paths share one series', async () => {
    const labels = { method: 'GET', route: 'unmatched', status: '404' };
    const before = requests(await scrape(t.app), labels);
    await t.app.request('/no/such/path-7f3a');
    await t.app.request('/no/such/path-9c1b');
    const text = await scrape(t.app);
    expect(requests(text, labels)).toBe(before + 2);
    expect(text).not.toContain('path-7f3a');
    expect(text).not.toContain('path-9c1b');
  });

  it('tRPC calls count under /trpc/*, whatever the procedure path', async () => {
    const labels = { method: 'GET', route: '/trpc/*', status: '200' };
    const before = requests(await scrape(t.app), labels);
    await t.app.request('/trpc/health');
    expect(requests(await scrape(t.app), labels)).toBe(before + 1);
  });

  it('errors count with their final status', async () => {
    const labels = { method: 'POST', route: '/trpc/*', status: '405' };
    const before = requests(await scrape(t.app), labels);
    await jsonRequest(t.app, 'POST', '/trpc/health', {});
    expect(requests(await scrape(t.app), labels)).toBe(before + 1);
  });

  it('an unusual method becomes OTHER, so methods cannot grow the series', async () => {
    const before = requests(await scrape(t.app), { method: 'OTHER' });
    await t.app.request('/health', { method: 'PROPFIND' });
    const text = await scrape(t.app);
    expect(requests(text, { method: 'OTHER' })).toBe(before + 1);
    expect(text).not.toContain('PROPFIND');
  });
});

describe('feature helpers', () => {
  it('a cache miss then a hit change the counters by one each', async () => {
    const m = t.deps.metrics;
    const before = await scrape(t.app);
    const count = (text: string, outcome: string) => sample(text, 'blog_api_cache_lookups_total', { cache: 'post', outcome }) ?? 0;

    m.cacheLookup('post', 'miss');
    const afterMiss = await scrape(t.app);
    expect(count(afterMiss, 'miss')).toBe(count(before, 'miss') + 1);
    expect(count(afterMiss, 'hit')).toBe(count(before, 'hit'));

    m.cacheLookup('post', 'hit');
    const afterHit = await scrape(t.app);
    expect(count(afterHit, 'hit')).toBe(count(before, 'hit') + 1);
    expect(count(afterHit, 'miss')).toBe(count(before, 'miss') + 1);
  });

  it('rate-limit decisions, sessions created and revoked are counted by their labels', async () => {
    const m = t.deps.metrics;
    m.rateLimitDecision('read', 'allowed');
    m.rateLimitDecision('read', 'allowed');
    m.rateLimitDecision('login', 'refused');
    m.rateLimitDecision('login', 'fail_closed');
    m.sessionCreated();
    m.sessionsRevoked('logout');
    m.sessionsRevoked('logout_all', 3);
    const text = await scrape(t.app);
    expect(sample(text, 'blog_api_rate_limit_decisions_total', { policy: 'read', outcome: 'allowed' })).toBe(2);
    expect(sample(text, 'blog_api_rate_limit_decisions_total', { policy: 'login', outcome: 'refused' })).toBe(1);
    expect(sample(text, 'blog_api_rate_limit_decisions_total', { policy: 'login', outcome: 'fail_closed' })).toBe(1);
    expect(sample(text, 'blog_api_sessions_created_total')).toBe(1);
    expect(sample(text, 'blog_api_sessions_revoked_total', { reason: 'logout' })).toBe(1);
    expect(sample(text, 'blog_api_sessions_revoked_total', { reason: 'logout_all' })).toBe(3);
  });

  it('backlog gauges are read at scrape time; a failing measure drops its series, not the scrape', async () => {
    let pending = 7;
    t.deps.metrics.registerBacklog('test-stream', () => pending);
    t.deps.metrics.registerBacklog('test-broken', async () => {
      throw new Error('Redis is down');
    });
    expect(sample(await scrape(t.app), 'blog_api_worker_backlog_items', { worker: 'test-stream' })).toBe(7);
    pending = 2;
    const text = await scrape(t.app);
    expect(sample(text, 'blog_api_worker_backlog_items', { worker: 'test-stream' })).toBe(2);
    expect(sample(text, 'blog_api_worker_backlog_items', { worker: 'test-broken' })).toBeUndefined();
    expect(() => t.deps.metrics.registerBacklog('test-stream', () => 0)).toThrow('already registered');
  });

  it('two apps in one process keep separate counts', async () => {
    const other = await createTestApp();
    try {
      other.deps.metrics.cacheLookup('only-in-other', 'hit');
      await other.app.request('/health');
      expect(sample(await scrape(t.app), 'blog_api_cache_lookups_total', { cache: 'only-in-other' })).toBeUndefined();
      expect(sample(await scrape(other.app), 'blog_api_cache_lookups_total', { cache: 'only-in-other' })).toBe(1);
      expect(requests(await scrape(other.app), { route: '/health' })).toBe(1);
    } finally {
      await other.close();
    }
  });
});

describe('METRICS_TOKEN', () => {
  const token = 'metrics-token-0123456789abcdef';
  let secured: TestApp;
  beforeAll(async () => {
    secured = await createTestApp({ env: { METRICS_TOKEN: token } });
  });
  afterAll(() => secured.close());

  it.each([
    ['no Authorization', {}],
    ['a wrong token', { authorization: 'Bearer metrics-token-0123456789abcdeX' }],
    ['a prefix of the token', { authorization: `Bearer ${token.slice(0, -1)}` }],
    ['another scheme', { authorization: `Basic ${token}` }],
  ])('refuses %s with 401 in the error shape', async (_case, headers: Record<string, string>) => {
    const res = await secured.app.request('/metrics', { headers: { 'x-request-id': 'm-401', ...headers } });
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toBe('Bearer realm="metrics"');
    expect(await res.json()).toEqual({
      error: { code: 'UNAUTHORIZED', message: 'GET /metrics needs Authorization: Bearer <METRICS_TOKEN>', requestId: 'm-401' },
    });
  });

  it('answers with the token', async () => {
    const text = await scrape(secured.app, { authorization: `Bearer ${token}` });
    expect(text).toContain('blog_api_http_request_duration_seconds');
  });
});

describe('Redis failures', () => {
  // A private redis-server: this test stops and restarts it.
  it('counts connection errors, reconnects, and failed commands by kind', async () => {
    let redis = await startProcessRedis();
    const app = await createTestApp({ redisUrl: redis.url, env: { REDIS_COMMAND_TIMEOUT_MS: '100' } });
    const labels = { connection: 'blog-api' };
    try {
      // Timeout: another client pauses every client's commands for longer than the command timeout.
      const admin = new Redis(redis.url);
      await admin.client('PAUSE', 1000, 'ALL');
      await expect(app.redis.get('x')).rejects.toThrow('Command timed out');
      await admin.client('UNPAUSE');
      admin.disconnect();
      // After a timeout the client refuses commands until Redis answers its probe (server/redis/deadline.ts).
      await waitFor(() => app.redis.ping().then(() => true, () => false), { timeoutMs: 5000, what: 'the client sees Redis answer again' });
      let text = await scrape(app.app);
      expect(sample(text, 'blog_api_redis_command_errors_total', { ...labels, command: 'get', kind: 'timeout' })).toBe(1);

      // Reply error: Redis refuses the command.
      const key = `${app.config.REDIS_KEY_PREFIX}metrics-test`;
      await app.redis.set(key, 'a string');
      await expect(app.redis.lpush(key, 'x')).rejects.toThrow('WRONGTYPE');
      text = await scrape(app.app);
      expect(sample(text, 'blog_api_redis_command_errors_total', { ...labels, command: 'lpush', kind: 'reply' })).toBe(1);

      // Unavailable: Redis is gone, and the fail-fast connection refuses commands at once.
      await redis.stop();
      await waitFor(() => app.redis.status !== 'ready', { timeoutMs: 5000, what: 'the client sees Redis gone' });
      await expect(app.redis.get('x')).rejects.toThrow();
      await expect(app.redis.get('y')).rejects.toThrow();
      text = await scrape(app.app);
      expect(sample(text, 'blog_api_redis_command_errors_total', { ...labels, command: 'get', kind: 'unavailable' })).toBe(2);
      expect(sample(text, 'blog_api_redis_reconnects_total', labels)).toBeGreaterThanOrEqual(1);

      // ioredis reports each failed reconnect attempt (connection refused) as an error event.
      await waitFor(async () => (sample(await scrape(app.app), 'blog_api_redis_connection_errors_total', labels) ?? 0) >= 1, { timeoutMs: 5000, what: 'a connection error is counted' });

      redis = await startProcessRedis({ port: redis.port });
      await waitFor(() => app.redis.status === 'ready', { timeoutMs: 10_000, what: 'the client reconnects' });
      await app.redis.get('x');
      // Successful commands after the outage count nothing more.
      text = await scrape(app.app);
      expect(sample(text, 'blog_api_redis_command_errors_total', { ...labels, command: 'get' })).toBe(3);
    } finally {
      await app.close();
      await redis.stop();
    }
  });
});
