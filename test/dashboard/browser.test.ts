import { serve } from '@hono/node-server';
import { existsSync, mkdirSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'puppeteer-core';
import type { DashboardMap, DashboardOverview, DashboardTrending } from '../../shared/dashboard.ts';
import { createTestApp, jsonRequest, type TestApp } from '../helpers/app.ts';
import { waitFor } from '../helpers/wait.ts';
import { bearer } from '../auth/helpers.ts';
import { createPost } from '../posts/helpers.ts';
import { ADMIN, MEMBER, seedDashboard, view, type Seeded } from './seed.ts';

/**
 * The admin dashboard in a real browser: Debian's Chromium, headless, driven by puppeteer-core
 * (which downloads no browser of its own) against the app on a real listener with seeded data.
 */
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const haveChromium = existsSync(CHROMIUM);
if (!haveChromium) console.warn(`dashboard browser test skipped: no Chromium at ${CHROMIUM} (apt-get install chromium)`);

/** Generous: two cores shared with other work, and a browser starting cold. */
const SLOW = 45_000;

let t: TestApp;
let seeded: Seeded;
let server: Server;
let url: string;
let browser: Browser;

/** The app on 127.0.0.1 and a free port, with a server handle: the test drops live connections. */
function listen(app: TestApp['app']): Promise<void> {
  return new Promise((resolve) => {
    server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, (info: AddressInfo) => {
      url = `http://127.0.0.1:${info.port}`;
      resolve();
    }) as Server;
  });
}

beforeAll(async () => {
  if (!haveChromium) return;
  t = await createTestApp({
    // Trending is merged and announced quickly, so a view shows within seconds.
    env: { TRENDING_CACHE_SECONDS: '1', TRENDING_ANNOUNCE_MS: '250', EVENTS_HEARTBEAT_MS: '5000' },
  });
  seeded = await seedDashboard(t);
  for (const task of t.background) task.start();
  await listen(t.app);
  const puppeteer = (await import('puppeteer-core')).default;
  browser = await puppeteer.launch({
    executablePath: CHROMIUM,
    headless: true,
    // Root in a container: no sandbox; no GPU; /dev/shm may be small.
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--no-first-run', '--no-default-browser-check'],
    protocolTimeout: 120_000,
  });
}, 120_000);

afterAll(async () => {
  await browser?.close();
  if (server) {
    server.closeAllConnections();
    await new Promise((done) => server.close(done));
  }
  await t?.close();
});

interface Watched {
  context: BrowserContext;
  page: Page;
  /** Paths the page asked the server for. */
  requests: string[];
  /** Console errors and uncaught exceptions (a CSP violation is one). */
  errors: string[];
}

async function openPage(width = 1280): Promise<Watched> {
  const context = await browser.createBrowserContext();
  const page = await context.newPage();
  page.setDefaultTimeout(SLOW);
  await page.setViewport({ width, height: 900 });
  const requests: string[] = [];
  const errors: string[] = [];
  page.on('request', (req) => requests.push(new URL(req.url()).pathname));
  page.on('console', (msg) => {
    if (msg.type() === 'error') errors.push(msg.text());
  });
  page.on('pageerror', (err) => errors.push(String(err)));
  return { context, page, requests, errors };
}

/** Signs in through the page's own form, as a person would. */
async function signIn(page: Page, who: { email: string; password: string }): Promise<void> {
  await page.type('#email', who.email);
  await page.type('#password', who.password);
  await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), page.click('#login button[type="submit"]')]);
}

/** An admin API answer, asked with the admin's token from outside the browser. */
async function api<T>(path: string): Promise<T> {
  const res = await jsonRequest(t.app, 'GET', path, undefined, bearer(seeded.admin.token));
  expect(res.status).toBe(200);
  return (await res.json()) as T;
}

/** data-value of each element matching `selector`, as numbers, in document order. */
const values = (page: Page, selector: string) =>
  page.$$eval(selector, (els) => els.map((e) => Number((e as HTMLElement).dataset.value)));

describe.skipIf(!haveChromium)('the admin dashboard in Chromium', () => {
  it('an anonymous visitor gets the login form and no figures', async () => {
    const { context, page, requests } = await openPage();
    try {
      const res = await page.goto(`${url}/admin`);
      expect(res?.status()).toBe(401);
      expect(await page.$('#login')).not.toBeNull();
      expect(await page.$('#main .panel')).toBeNull();
      expect(requests.filter((p) => p.startsWith('/admin/api'))).toEqual([]);
    } finally {
      await context.close();
    }
  }, SLOW);

  it('a signed-in member gets 403 and no figures, even asking the API from the page', async () => {
    const { context, page, requests } = await openPage();
    try {
      await page.goto(`${url}/admin`);
      await signIn(page, MEMBER);
      expect(await page.$eval('h1', (h) => h.textContent)).toBe('Admins only');
      expect(requests.filter((p) => p.startsWith('/admin/api'))).toEqual([]);
      const asked = await page.evaluate(async () => {
        const res = await fetch('/admin/api/overview', { credentials: 'same-origin' });
        return { status: res.status, body: await res.text() };
      });
      expect(asked.status).toBe(403);
      expect(asked.body).toContain('Admin role required');
      expect(asked.body).not.toMatch(/activeUsers|cohorts|usedMemoryBytes/);
    } finally {
      await context.close();
    }
  }, SLOW);

  it('an admin sees every panel drawn with the API’s figures, live updates, and a resumed connection', async () => {
    const { context, page, errors } = await openPage();
    try {
      await page.goto(`${url}/admin`);
      await signIn(page, ADMIN);
      errors.length = 0; // the login form's own 401 is expected
      await page.waitForFunction(() => document.querySelectorAll('.panel[aria-busy="false"]').length === 7, { timeout: SLOW });
      await page.waitForFunction(() => document.getElementById('live')?.classList.contains('on'), { timeout: SLOW });
      const [overview, trending, map] = await Promise.all([
        api<DashboardOverview>('/admin/api/overview'),
        api<DashboardTrending>('/admin/api/trending?window=24h'),
        api<DashboardMap>('/admin/api/map'),
      ]);

      // Daily active users: uPlot drew a line on its canvas, and the counter is today's figure.
      const inked = await page.$eval('#dau-chart canvas', (c) => {
        const canvas = c as HTMLCanvasElement;
        const data = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height).data;
        let n = 0;
        for (let i = 3; i < data.length; i += 4) if (data[i]! > 0) n++;
        return n;
      });
      expect(inked).toBeGreaterThan(500);
      expect(await values(page, '#count-active')).toEqual([overview.activeUsers.at(-1)!.activeUsers]);

      // Retention: four cohorts, 7 days and "any day" each, as the API's shares.
      const cells = await page.$$eval('#cohorts tbody tr', (rows) => rows.map((r) => [...r.querySelectorAll('td.cell')].map((td) => td.textContent)));
      const percent = (v: number | null) => page.evaluate((x) => (x === null ? '–' : new Intl.NumberFormat(undefined, { style: 'percent', maximumFractionDigits: 1 }).format(x)), v);
      expect(cells).toHaveLength(4);
      expect(cells[0]).toEqual(await Promise.all([...overview.cohorts[0]!.byDay.map((d) => d.share), overview.cohorts[0]!.retention].map(percent)));

      // Trending and top authors for 24h, in the API's order with its figures.
      expect(await page.$$eval('#trending-list li', (li) => li.map((l) => Number(l.getAttribute('data-id'))))).toEqual(trending.posts.map((p) => p.postId));
      expect(await values(page, '#trending-list .num')).toEqual(trending.posts.map((p) => p.views));
      expect(await values(page, '#authors-list .num')).toEqual(trending.authors.authors.map((a) => a.views));
      expect(await page.$eval('#my-rank', (e) => e.textContent)).toContain('no views');

      // Unique visitors: each row's views, today and 7 days.
      expect(await values(page, '#uniques-table td.num')).toEqual(overview.uniqueVisitors.posts.flatMap((p) => [p.views, p.today, p.last7Days]));
      expect(await page.$eval('#uniques', (e) => e.textContent)).toContain('0.81%');

      // Redis at a glance.
      const glance = await page.$$eval('#glance dd', (dd) => Object.fromEntries(dd.map((d) => [d.getAttribute('data-key'), d.textContent])));
      expect(Object.keys(glance)).toEqual(['memory', 'maxmemory', 'hit-ratio', 'ops', 'evicted', 'stream-length', 'pending', 'lag']);
      expect(glance.memory).toMatch(/\d/);

      // The map: one dot per located post, the most viewed the biggest.
      const dots = await page.$$eval('#map-points circle', (cs) => cs.map((c) => ({ id: Number(c.getAttribute('data-post-id')), r: Number(c.getAttribute('r')) })));
      expect(dots.map((d) => d.id).sort()).toEqual(map.points.map((p) => p.postId).sort());
      const mostViewed = [...map.points].sort((a, b) => b.views - a.views)[0]!;
      expect(dots.find((d) => d.id === mostViewed.postId)!.r).toBe(Math.max(...dots.map((d) => d.r)));
      expect(await page.$eval('path.land', (p) => (p as SVGPathElement).getBBox().width)).toBeGreaterThan(800);

      // Numbers for people: every figure shows as Intl's compact form of its exact value.
      const shown = await page.$$eval('.num[data-value]', (els) => {
        const compact = new Intl.NumberFormat(undefined, { notation: 'compact', maximumFractionDigits: 1 });
        return els.filter((e) => (e as HTMLElement).dataset.value !== '').map((e) => [e.textContent, compact.format(Number((e as HTMLElement).dataset.value))]);
      });
      expect(shown.length).toBeGreaterThan(20);
      for (const [text, expected] of shown) expect(text).toBe(expected);

      mkdirSync('test-results', { recursive: true });
      await page.screenshot({ path: 'test-results/dashboard-1280.png', fullPage: true });
      await page.screenshot({ path: 'test-results/dashboard-1280-top.png' }); // the README's (docs/dashboard.png)

      // Live: a burst of views moves the unread post to the top of trending, without a reload.
      await page.click('[data-window="1h"]');
      await page.waitForFunction(() => document.querySelector('[data-window="1h"]')?.getAttribute('aria-pressed') === 'true');
      const member = bearer(seeded.member.token);
      for (let i = 0; i < 12; i++) await view(t, seeded.unread.id, member);
      await t.services.posts.sendViews();
      // Redrawn because of a live event, not by the page's 30 s poll.
      await page.waitForFunction(
        (id) => {
          const list = document.getElementById('trending-list');
          return list?.dataset.reason === 'event' && list.querySelector('li')?.getAttribute('data-id') === String(id);
        },
        { timeout: SLOW },
        seeded.unread.id,
      );
      expect(await values(page, '#count-live')).not.toEqual([0]);

      // A dropped connection resumes: events written while the page was cut off arrive after.
      const cdp = await page.createCDPSession();
      await cdp.send('Network.enable');
      await cdp.send('Network.emulateNetworkConditions', { offline: true, latency: 0, downloadThroughput: -1, uploadThroughput: -1 });
      server.closeAllConnections();
      await page.waitForFunction(() => !document.getElementById('live')?.classList.contains('on'), { timeout: SLOW });
      const author = { authorization: `Bearer ${seeded.admin.token}` };
      await createPost(t, author, { title: 'Written while the page was away', content: 'x', location: { longitude: 18.07, latitude: 59.33 } });
      await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: -1 });
      await page.waitForFunction(() => document.querySelectorAll('#map-points circle').length === 6, { timeout: SLOW });
      await page.waitForFunction(() => document.getElementById('live')?.classList.contains('on'), { timeout: SLOW });

      expect(errors.filter((e) => !/ERR_INTERNET_DISCONNECTED|ERR_CONNECTION|net::/.test(e))).toEqual([]);
    } finally {
      await context.close();
    }
  }, 4 * SLOW);

  it('is usable at 390 px and by keyboard, with AA text contrast', async () => {
    const { context, page } = await openPage(390);
    try {
      await page.goto(`${url}/admin`);
      await signIn(page, ADMIN);
      await page.waitForFunction(() => document.querySelectorAll('.panel[aria-busy="false"]').length === 7, { timeout: SLOW });
      // Nothing wider than the screen: no sideways scrolling of the page itself.
      const tooWide = await page.$$eval('body *', (els) =>
        els.filter((e) => e.getBoundingClientRect().right > 391 && !e.closest('.scroll')).map((e) => `${e.tagName}#${e.id}.${e.className}`),
      );
      expect(tooWide).toEqual([]);
      expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
      await page.screenshot({ path: 'test-results/dashboard-390.png', fullPage: true });

      // Tab reaches the window switch, and Enter on "7d" switches the trending window.
      const reached: string[] = [];
      for (let i = 0; i < 12 && !reached.includes('7d'); i++) {
        await page.keyboard.press('Tab');
        reached.push(await page.evaluate(() => (document.activeElement as HTMLElement | null)?.dataset.window ?? document.activeElement?.id ?? ''));
      }
      expect(reached).toContain('7d');
      await page.keyboard.press('Enter');
      await page.waitForFunction(() => document.querySelector('[data-window="7d"]')?.getAttribute('aria-pressed') === 'true');
      // Map dots are focusable and named.
      expect(await page.$$eval('#map-points circle', (cs) => cs.every((c) => c.getAttribute('tabindex') === '0' && c.getAttribute('aria-label')))).toBe(true);

      // WCAG AA: every text's colour against the background behind it, at least 4.5:1.
      const poor = await page.evaluate(() => {
        const lum = (rgb: number[]) => {
          const [r, g, b] = rgb.map((v) => {
            const c = v / 255;
            return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
          });
          return 0.2126 * r! + 0.7152 * g! + 0.0722 * b!;
        };
        const parse = (s: string) => (s.match(/[\d.]+/g) ?? []).map(Number);
        const background = (el: Element | null): number[] => {
          for (let e = el; e; e = e.parentElement) {
            const c = parse(getComputedStyle(e).backgroundColor);
            if (c.length === 3 || (c.length === 4 && c[3]! > 0.9)) return c.slice(0, 3);
          }
          return [255, 255, 255];
        };
        const bad: string[] = [];
        const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
        for (let n = walker.nextNode(); n; n = walker.nextNode()) {
          const el = n.parentElement;
          if (!el || !n.textContent?.trim() || el.closest('svg, .sr, .skip, .u-legend')) continue;
          const fg = parse(getComputedStyle(el).color).slice(0, 3);
          const a = lum(fg);
          const b = lum(background(el));
          const ratio = (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
          if (ratio < 4.5) bad.push(`${el.tagName} "${n.textContent.trim().slice(0, 30)}" ${ratio.toFixed(2)}`);
        }
        return bad;
      });
      expect(poor).toEqual([]);
    } finally {
      await context.close();
    }
  }, 2 * SLOW);
});
