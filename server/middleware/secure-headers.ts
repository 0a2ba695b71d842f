/**
 * The secure headers on every response, as Hono's `secureHeaders()` sets them by default, plus a
 * Content-Security-Policy that lets a JSON answer load nothing and be framed by no one. Computed
 * once: request-context.ts puts them in each request's header bag. A route that serves a page
 * sets its own CSP, and the header a route set wins (/docs allows its own nonce-tagged script).
 */
export const secureHeaderValues: Readonly<Record<string, string>> = {
  'content-security-policy': "default-src 'none'; frame-ancestors 'none'",
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
  'origin-agent-cluster': '?1',
  'referrer-policy': 'no-referrer',
  'strict-transport-security': 'max-age=15552000; includeSubDomains',
  'x-content-type-options': 'nosniff',
  'x-dns-prefetch-control': 'off',
  'x-download-options': 'noopen',
  'x-frame-options': 'DENY',
  'x-permitted-cross-domain-policies': 'none',
  'x-xss-protection': '0',
};
