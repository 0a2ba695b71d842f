import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, jsonRequest, type TestApp } from '../helpers/app.ts';

const allowed = 'https://app.example.com';
const other = 'https://evil.example.net';

let t: TestApp;
let sameOrigin: TestApp;
beforeAll(async () => {
  [t, sameOrigin] = await Promise.all([
    createTestApp({ env: { CORS_ORIGINS: `${allowed}, http://localhost:5173`, BODY_LIMIT_BYTES: '2048' } }),
    createTestApp(),
  ]);
});
afterAll(async () => {
  await t.close();
  await sameOrigin.close();
});

describe('secure headers', () => {
  const expected = {
    'x-content-type-options': 'nosniff',
    'x-frame-options': 'DENY',
    'referrer-policy': 'no-referrer',
    'strict-transport-security': 'max-age=15552000; includeSubDomains',
    'cross-origin-opener-policy': 'same-origin',
    'cross-origin-resource-policy': 'same-origin',
    'content-security-policy': "default-src 'none'; frame-ancestors 'none'",
  };

  it.each([
    ['a REST route', () => t.app.request('/health')],
    ['a tRPC call', () => t.app.request('/trpc/health')],
    ['a 404', () => t.app.request('/nope')],
    ['a 413', () => jsonRequest(t.app, 'POST', '/trpc/health', JSON.stringify({ x: 'y'.repeat(4096) }))],
    ['/metrics', () => t.app.request('/metrics')],
    ['/openapi.json', () => t.app.request('/openapi.json')],
  ])('are on %s', async (_what, send) => {
    const res = await send();
    for (const [name, value] of Object.entries(expected)) expect(res.headers.get(name), name).toBe(value);
    expect(res.headers.get('x-powered-by')).toBeNull();
  });

  it('/docs keeps them but has its own CSP: scripts and styles from this origin or nonce-tagged, nothing from elsewhere', async () => {
    const res = await t.app.request('/docs');
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    const csp = res.headers.get('content-security-policy') ?? '';
    const nonce = /script-src 'self' 'nonce-([A-Za-z0-9+/=]+)'/.exec(csp)?.[1];
    expect(nonce).toBeDefined();
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("connect-src 'self'");
    expect(csp).not.toMatch(/unsafe-inline|unsafe-eval|https?:/);
    const html = await res.text();
    expect(html).toContain(`<script nonce="${nonce}">`);
    expect(html).toContain(`<style nonce="${nonce}">`);
    // Every inline script on the page carries the nonce; the others are this app's files; nothing is loaded from another origin.
    expect(html.match(/<script/g)).toHaveLength(2);
    expect(html).toContain('<script src="/docs/assets/swagger-ui-bundle.js"></script>');
    expect(html).not.toMatch(/<(script|link|img)[^>]+(src|href)="https?:/);
    // A fresh nonce per response.
    const again = (await t.app.request('/docs')).headers.get('content-security-policy');
    expect(again).not.toBe(csp);
  });
});

describe('CORS', () => {
  it('a listed origin may read answers, with credentials and the headers it needs', async () => {
    const res = await t.app.request('/health', { headers: { origin: allowed } });
    expect(res.headers.get('access-control-allow-origin')).toBe(allowed);
    expect(res.headers.get('access-control-allow-credentials')).toBe('true');
    expect(res.headers.get('access-control-expose-headers')).toContain('X-Request-Id');
    expect(res.headers.get('access-control-expose-headers')).toContain('Retry-After');
    expect(res.headers.get('vary')).toContain('Origin');
  });

  it('answers the preflight of a listed origin', async () => {
    const res = await t.app.request('/trpc/health', {
      method: 'OPTIONS',
      headers: { origin: 'http://localhost:5173', 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type,authorization' },
    });
    expect(res.status).toBe(204);
    expect(res.headers.get('access-control-allow-origin')).toBe('http://localhost:5173');
    expect(res.headers.get('access-control-allow-methods')).toContain('POST');
    expect(res.headers.get('access-control-allow-headers')).toMatch(/Authorization/);
    expect(res.headers.get('access-control-allow-credentials')).toBe('true');
  });

  it('gives an unlisted origin no CORS header, so the browser keeps the answer from it', async () => {
    const res = await t.app.request('/health', { headers: { origin: other } });
    expect(res.status).toBe(200);
    expect(res.headers.get('access-control-allow-origin')).toBeNull();
    expect(res.headers.get('access-control-allow-credentials')).toBeNull();
    expect(res.headers.get('vary')).toContain('Origin');
  });

  it('does not answer the preflight of an unlisted origin: it falls through to routing', async () => {
    const res = await t.app.request('/health', {
      method: 'OPTIONS',
      headers: { origin: other, 'access-control-request-method': 'POST' },
    });
    // Routing has no OPTIONS for a known path: 405 with the methods it does have.
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toBe('GET, HEAD');
    expect(res.headers.get('access-control-allow-origin')).toBeNull();
    expect(res.headers.get('access-control-allow-methods')).toBeNull();
  });

  it('an origin that differs by case, port, scheme, a slash or a suffix is not listed', async () => {
    for (const origin of ['https://APP.example.com', 'https://app.example.com:8443', 'https://app.example.com/', 'http://app.example.com', 'https://app.example.com.evil.net']) {
      const res = await t.app.request('/health', { headers: { origin } });
      expect(res.headers.get('access-control-allow-origin'), origin).toBeNull();
    }
  });

  it('without CORS_ORIGINS the API is same-origin only: no CORS header for anyone', async () => {
    const res = await sameOrigin.app.request('/health', { headers: { origin: allowed } });
    expect(res.status).toBe(200);
    expect(res.headers.get('access-control-allow-origin')).toBeNull();
    const preflight = await sameOrigin.app.request('/health', {
      method: 'OPTIONS',
      headers: { origin: allowed, 'access-control-request-method': 'GET' },
    });
    expect(preflight.status).toBe(405);
    expect(preflight.headers.get('access-control-allow-origin')).toBeNull();
  });
});
