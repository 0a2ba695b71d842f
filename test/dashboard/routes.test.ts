import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  dashboardMapSchema,
  dashboardOverviewSchema,
  dashboardTrendingSchema,
  type DashboardMap,
  type DashboardOverview,
  type DashboardTrending,
} from '../../shared/dashboard.ts';
import { weeklyCohorts } from '../../server/features/analytics/retention-cohorts.ts';
import { createTestApp, jsonRequest, type TestApp } from '../helpers/app.ts';
import { waitFor } from '../helpers/wait.ts';
import { bearer, scanKeys, type ErrorJson } from '../auth/helpers.ts';
import { seedDashboard, type Seeded } from './seed.ts';

let t: TestApp;
let seeded: Seeded;
let admin: Record<string, string>;
let member: Record<string, string>;
beforeAll(async () => {
  t = await createTestApp();
  seeded = await seedDashboard(t);
  admin = bearer(seeded.admin.token);
  member = bearer(seeded.member.token);
});
afterAll(() => t.close());

async function json<T>(path: string, headers: Record<string, string>): Promise<{ status: number; body: T }> {
  const res = await jsonRequest(t.app, 'GET', path, undefined, headers);
  return { status: res.status, body: (await res.json()) as T };
}

describe('GET /admin', () => {
  it('gives an anonymous caller the login form (401) and none of the figures', async () => {
    const res = await t.app.request('/admin');
    expect(res.status).toBe(401);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    expect(res.headers.get('cache-control')).toBe('no-store');
    const html = await res.text();
    expect(html).toContain('<form id="login"');
    expect(html).toContain('/admin/assets/login.js');
    expect(html).not.toContain('dashboard.js');
    expect(html).not.toContain('class="land"');
  });

  it('gives a dead session the login form too', async () => {
    const res = await t.app.request('/admin', { headers: { cookie: 'sid=not-a-live-session-token-at-all-aaaaaaaaaaaa' } });
    expect(res.status).toBe(401);
    expect(await res.text()).toContain('<form id="login"');
  });

  it('gives a signed-in member 403 and no figures', async () => {
    const res = await t.app.request('/admin', { headers: member });
    expect(res.status).toBe(403);
    const html = await res.text();
    expect(html).toContain('Admins only');
    expect(html).not.toMatch(/dashboard\.js|login\.js|<svg/);
  });

  it('gives an admin (cookie or Bearer) the page, with a fresh nonce per response and a strict CSP', async () => {
    const byCookie = await t.app.request('/admin', { headers: { cookie: `sid=${seeded.admin.token}` } });
    expect(byCookie.status).toBe(200);
    const byBearer = await t.app.request('/admin', { headers: admin });
    expect(byBearer.status).toBe(200);
    const csp = byBearer.headers.get('content-security-policy') ?? '';
    const nonce = /script-src 'nonce-([A-Za-z0-9+/=]+)'/.exec(csp)?.[1];
    expect(nonce).toBeDefined();
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain(`style-src 'nonce-${nonce}'`);
    expect(csp).toContain("connect-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toMatch(/unsafe-inline|unsafe-eval|https?:/);
    expect(byCookie.headers.get('content-security-policy')).not.toBe(csp);
    expect(byBearer.headers.get('x-content-type-options')).toBe('nosniff');
    const html = await byBearer.text();
    // Every script and stylesheet is a same-origin file carrying the nonce; nothing inline.
    const scripts = html.match(/<script[^>]*>/g) ?? [];
    expect(scripts).toEqual([
      `<script src="/admin/assets/uPlot.min.js" nonce="${nonce}">`,
      `<script src="/admin/assets/dashboard.js" nonce="${nonce}">`,
    ]);
    for (const link of html.match(/<link[^>]*>/g) ?? []) expect(link).toContain(`nonce="${nonce}"`);
    expect(html).not.toMatch(/<style|style="|<(script|link|img)[^>]+(src|href)="https?:/);
    // The world outline is drawn on the server: one path of some size.
    expect(/<path class="land" d="M[^"]{10000,}"/.test(html)).toBe(true);
  });
});

describe('GET /admin/assets/:name', () => {
  it.each([
    ['dashboard.js', 'text/javascript; charset=utf-8', 'EventSource'],
    ['login.js', 'text/javascript; charset=utf-8', '/auth/login'],
    ['dashboard.css', 'text/css; charset=utf-8', '.panel'],
    ['uPlot.min.js', 'text/javascript; charset=utf-8', 'uPlot'],
    ['uPlot.min.css', 'text/css; charset=utf-8', '.uplot'],
  ])('serves %s from disk as %s', async (name, type, marker) => {
    const res = await t.app.request(`/admin/assets/${name}`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe(type);
    expect(await res.text()).toContain(marker);
  });

  it.each(['nope.js', '..%2Fdashboard.routes.ts', 'constructor', '__proto__'])('answers 404 for %s', async (name) => {
    const res = await t.app.request(`/admin/assets/${name}`);
    expect(res.status).toBe(404);
    expect(((await res.json()) as ErrorJson).error.code).toBe('NOT_FOUND');
  });
});

describe('GET /admin/api/*', () => {
  it.each(['/admin/api/overview', '/admin/api/trending', '/admin/api/map'])('%s: 401 without a session, 403 for a member', async (path) => {
    const anonymous = await json<ErrorJson>(path, {});
    expect(anonymous.status).toBe(401);
    expect(anonymous.body.error.code).toBe('UNAUTHORIZED');
    const denied = await json<ErrorJson>(path, member);
    expect(denied.status).toBe(403);
    expect(denied.body.error).toMatchObject({ code: 'FORBIDDEN', message: 'Admin role required' });
    expect(JSON.stringify(denied.body)).not.toMatch(/views|activeUsers|points/);
  });

  it('overview: the services’ figures in the shared shape', async () => {
    const { status, body } = await json<DashboardOverview>('/admin/api/overview', admin);
    expect(status).toBe(200);
    const overview = dashboardOverviewSchema.parse(body);
    expect(overview.activeUsers).toHaveLength(30);
    expect(overview.activeUsers).toEqual(await t.services.analytics.dailyActive(30));
    // Today: the admin, the member and the authors who sent authenticated requests.
    expect(overview.activeUsers.at(-1)!.activeUsers).toBeGreaterThanOrEqual(2);
    expect(overview.cohorts).toHaveLength(4);
    expect(overview.uniqueVisitors.standardError).toBe(0.0081);
    expect(overview.uniqueVisitors.posts.map((p) => p.title)).toEqual([
      'Redis streams in practice',
      'Sorted sets for leaderboards',
      'HyperLogLog, counted',
      'Geo search near me',
      'Bitmaps for active users',
    ]);
    for (const p of overview.uniqueVisitors.posts) {
      const single = await json<{ views: number; uniqueVisitors: { today: number; last7Days: number } }>(`/analytics/posts/${p.postId}`, {});
      expect(p).toMatchObject({ views: single.body.views, today: single.body.uniqueVisitors.today, last7Days: single.body.uniqueVisitors.last7Days });
    }
    expect(overview.uniqueVisitors.posts[0]).toMatchObject({ views: 9, today: 2 }); // two distinct readers
    expect(overview.redis.usedMemoryBytes).toBeGreaterThan(0);
    expect(overview.redis.postCache.hits + overview.redis.postCache.misses).toBeGreaterThan(0);
    // No analytics worker has run in this app yet: the stream has no consumer group.
    expect(overview.redis.stream).toBeNull();
  });

  it('overview: the stream, its pending entries and lag once the analytics worker has read it', async () => {
    t.services.analytics.worker.start();
    const stream = await waitFor(
      async () => {
        const { body } = await json<DashboardOverview>('/admin/api/overview', admin);
        const s = body.redis.stream;
        return s && s.lag === 0 && s.pending === 0 && s;
      },
      { timeoutMs: 20_000, what: 'the worker read every entry' },
    );
    expect(stream.length).toBe(await t.redis.xlen(t.deps.keys.events()));
    expect(stream.consumers).toBe(1);
  });

  it('trending: equal to GET /trending and /trending/authors for the same window, with the caller’s rank', async () => {
    for (const window of ['1h', '24h', '7d'] as const) {
      const { status, body } = await json<DashboardTrending>(`/admin/api/trending?window=${window}`, admin);
      expect(status).toBe(200);
      const trending = dashboardTrendingSchema.parse(body);
      const plain = await json<{ post: { id: number }; views: number }[]>(`/trending?window=${window}`, {});
      expect(trending.posts.map((p) => [p.postId, p.views])).toEqual(plain.body.map((p) => [p.post.id, p.views]));
      const authors = await json<unknown>(`/trending/authors?window=${window}`, admin);
      expect(trending.authors).toEqual(authors.body);
      expect(trending.authors.myRank).toBeNull(); // the admin wrote nothing
    }
  });

  it('trending: a bad window is a 400 naming it, and writes nothing', async () => {
    const before = await scanKeys(t.redis, t.config.REDIS_KEY_PREFIX);
    const { status, body } = await json<ErrorJson>('/admin/api/trending?window=2w', admin);
    expect(status).toBe(400);
    expect(body.error.code).toBe('VALIDATION_FAILED');
    expect(body.error.details).toEqual([{ field: 'window', message: 'expected one of 1h, 24h, 7d' }]);
    expect(await scanKeys(t.redis, t.config.REDIS_KEY_PREFIX)).toEqual(before);
  });

  it('map: every post with a location, with its views', async () => {
    const { status, body } = await json<DashboardMap>('/admin/api/map', admin);
    expect(status).toBe(200);
    const map = dashboardMapSchema.parse(body);
    expect(map.truncated).toBe(false);
    expect(map.points).toHaveLength(5);
    for (const point of map.points) {
      const views = await json<{ views: number }>(`/posts/${point.postId}/views`, {});
      expect(point.views).toBe(views.body.views);
    }
    expect(map.points.find((p) => p.title === 'HyperLogLog, counted')).toMatchObject({ longitude: expect.closeTo(139.69, 3), latitude: expect.closeTo(35.69, 3), views: 4 });
  });
});

describe('weekly retention cohorts', () => {
  it('counts each cohort, its 7-day retention and each follow-up day, and leaves no key behind', async () => {
    const app = await createTestApp();
    try {
      const { keys } = app.deps;
      const now = Date.parse('2026-03-20T12:00:00Z');
      const day = (ago: number) => new Date(now - ago * 86_400_000).toISOString().slice(0, 10);
      const active: [number, number[]][] = [
        // Cohort 0 is days 13..7 ago; its follow-up, days 6..0 ago.
        [13, [1, 2]],
        [9, [3, 4]],
        [6, [1]],
        [2, [1, 3]],
        [0, [9]],
        // Cohort 3 is days 34..28 ago; its follow-up, days 27..21 ago.
        [30, [5]],
        [21, [5]],
      ];
      for (const [ago, users] of active) for (const user of users) await app.redis.setbit(keys.activeUsers(day(ago)), user, 1);
      const before = await scanKeys(app.redis, app.config.REDIS_KEY_PREFIX);
      const cohorts = await weeklyCohorts(app.redis, keys, now);
      expect(cohorts.map((c) => [c.from, c.to, c.users, c.retained, c.retention])).toEqual([
        [day(13), day(7), 4, 2, 0.5],
        [day(20), day(14), 0, 0, null],
        [day(27), day(21), 1, 0, 0], // day 21 ago is the cohort's own last day
        [day(34), day(28), 1, 1, 1],
      ]);
      expect(cohorts[0]!.byDay.map((d) => [d.day, d.users])).toEqual([
        [day(6), 1],
        [day(5), 0],
        [day(4), 0],
        [day(3), 0],
        [day(2), 2],
        [day(1), 0],
        [day(0), 0], // user 9 is not in the cohort
      ]);
      expect(cohorts[0]!.byDay[4]!.share).toBe(0.5);
      expect(cohorts[3]!.byDay.map((d) => d.users)).toEqual([0, 0, 0, 0, 0, 0, 1]);
      expect(await scanKeys(app.redis, app.config.REDIS_KEY_PREFIX)).toEqual(before);
    } finally {
      await app.close();
    }
  });
});
