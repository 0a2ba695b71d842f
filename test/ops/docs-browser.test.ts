import { existsSync } from 'node:fs';
import puppeteer, { type Browser } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../helpers/app.ts';
import { listen } from '../helpers/server.ts';
import { waitFor } from '../helpers/wait.ts';

/** Debian's chromium package; puppeteer-core drives it and downloads no browser of its own. */
const chromium = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const haveChromium = existsSync(chromium);
if (!haveChromium) console.log(`docs-browser: skipped, no Chromium at ${chromium} (apt-get install chromium)`);

describe.skipIf(!haveChromium)('/docs in headless Chromium', () => {
  let t: TestApp;
  let server: Awaited<ReturnType<typeof listen>>;
  let browser: Browser;
  beforeAll(async () => {
    t = await createTestApp();
    server = await listen(t.app);
    browser = await puppeteer.launch({ executablePath: chromium, headless: true, args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'] });
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await t?.close();
  });

  it('renders every operation of the document, with examples, loading nothing from elsewhere and breaking no CSP rule', async () => {
    const doc = (await (await fetch(`${server.url}/openapi.json`)).json()) as { paths: Record<string, Record<string, unknown>> };
    const operations = Object.values(doc.paths).reduce((n, item) => n + Object.keys(item).length, 0);
    const page = await browser.newPage();
    const violations: string[] = [];
    const elsewhere: string[] = [];
    page.on('console', (msg) => {
      if (/Content Security Policy|Refused to/i.test(msg.text())) violations.push(msg.text());
    });
    page.on('request', (req) => {
      const url = req.url();
      if (!url.startsWith(server.url) && !url.startsWith('data:')) elsewhere.push(url);
    });
    await page.goto(`${server.url}/docs`, { waitUntil: 'load', timeout: 60_000 });
    const rendered = await waitFor(
      async () => {
        const n = await page.$$eval('.opblock', (els) => els.length);
        return n >= operations ? n : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 200, what: 'Swagger UI to render every operation' },
    );
    expect(rendered).toBe(operations);
    const summaries = await page.$$eval('.opblock-summary-path', (els) => els.map((e) => e.textContent?.replace(/\u200b/g, '')));
    expect(summaries).toContain('/posts/{id}');
    expect(summaries).toContain('/auth/login');

    // Open `GET /posts/{id}`: its response example is the document's.
    await page.click('#operations-posts-getPostsById .opblock-summary-control');
    await waitFor(async () => ((await page.$$eval('.opblock.is-open .microlight, .opblock.is-open pre', (els) => els.map((e) => e.textContent ?? '').join(''))).includes('Redis Guide') ? true : undefined), {
      timeoutMs: 30_000,
      what: 'the example of GET /posts/{id}',
    });
    expect(violations).toEqual([]);
    expect(elsewhere).toEqual([]);
    await page.close();
  }, 180_000);
});
