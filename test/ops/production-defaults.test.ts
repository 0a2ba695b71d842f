import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../server/config.ts';
import { createTestApp, type TestApp } from '../helpers/app.ts';
import { nodeEntry } from '../helpers/process.ts';

// Production must not depend on the operator remembering to lock things down: /metrics was open
// whenever METRICS_TOKEN was unset, NODE_ENV=production included.

const production = { NODE_ENV: 'production', ANALYTICS_VISITOR_SECRET: 'p'.repeat(32) };
const token = 'production-metrics-token';

describe('/metrics in production', () => {
  it('refuses to start with neither METRICS_TOKEN nor METRICS_PUBLIC=true, naming the variable', () => {
    expect(() => loadConfig(production)).toThrow(ConfigError);
    expect(() => loadConfig(production)).toThrow(
      /^Invalid environment variable METRICS_TOKEN: required in production \(at least 16 characters, e\.g\. `openssl rand -hex 16`\), or set METRICS_PUBLIC=true to serve \/metrics without one$/,
    );
    // An empty value is unset, as everywhere (docker-compose passes `${METRICS_TOKEN:-}`).
    expect(() => loadConfig({ ...production, METRICS_TOKEN: '', METRICS_PUBLIC: '' })).toThrow(/^Invalid environment variable METRICS_TOKEN: /);
  });

  it('the real entry exits with that one line before connecting to anything', () => {
    const { METRICS_TOKEN: _token, METRICS_PUBLIC: _public, ...env } = process.env;
    const r = spawnSync(nodeEntry[0]!, nodeEntry.slice(1), { env: { ...env, ...production }, encoding: 'utf8', timeout: 20_000 });
    expect(r.status).toBe(1);
    expect(r.stderr.trim().split('\n')).toEqual([expect.stringMatching(/^Invalid environment variable METRICS_TOKEN: required in production/)]);
    expect(r.stdout).toBe('');
  });

  it('starts with a token, or open on purpose with METRICS_PUBLIC=true; not with both', () => {
    expect(loadConfig({ ...production, METRICS_TOKEN: token })).toMatchObject({ METRICS_TOKEN: token, METRICS_PUBLIC: false });
    const open = loadConfig({ ...production, METRICS_PUBLIC: 'true' });
    expect([open.METRICS_TOKEN, open.METRICS_PUBLIC]).toEqual([undefined, true]);
    expect(() => loadConfig({ ...production, METRICS_TOKEN: token, METRICS_PUBLIC: 'true' })).toThrow(
      /^Invalid environment variable METRICS_PUBLIC: contradicts METRICS_TOKEN: set one of them \(got "true"\)$/,
    );
  });

  it('outside production nothing changes: unset, /metrics is open', () => {
    const development = loadConfig({ NODE_ENV: 'development' });
    expect([development.METRICS_TOKEN, development.METRICS_PUBLIC]).toEqual([undefined, false]);
  });

});

describe('a production app', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ env: { ...production, METRICS_TOKEN: token } });
  });
  afterAll(() => t?.close());

  it('answers /metrics with 401 without the token, 200 with it', async () => {
    const refused = await t.app.request('/metrics');
    expect(refused.status).toBe(401);
    expect(refused.headers.get('www-authenticate')).toBe('Bearer realm="metrics"');
    expect((await t.app.request('/metrics', { headers: { authorization: `Bearer ${token}` } })).status).toBe(200);
  });
});

describe('the Docker image and the compose file run production', () => {
  it('Dockerfile: the runtime stage sets NODE_ENV=production', () => {
    const runtime = readFileSync('Dockerfile', 'utf8').split(/^FROM .* AS runtime$/m)[1] ?? '';
    expect(runtime).toMatch(/^ENV .*\bNODE_ENV=production\b/m);
  });

  it('docker-compose.yml: the api service sets NODE_ENV: production and passes METRICS_TOKEN and METRICS_PUBLIC through', () => {
    const api = readFileSync('docker-compose.yml', 'utf8').split(/^  api:$/m)[1]?.split(/^  \S.*:$/m)[0] ?? '';
    expect(api).toMatch(/^ {6}NODE_ENV: production$/m);
    expect(api).toMatch(/^ {6}METRICS_TOKEN: \$\{METRICS_TOKEN:-\}$/m);
    expect(api).toMatch(/^ {6}METRICS_PUBLIC: \$\{METRICS_PUBLIC:-\}$/m);
  });
});
