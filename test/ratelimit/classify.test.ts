import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../server/config.ts';
import { createClassifier } from '../../server/features/ratelimit/classify.ts';
import { policiesFromConfig } from '../../server/features/ratelimit/ratelimit.service.ts';
import { forwardedClient } from '../../server/middleware/request-context.ts';

const classify = createClassifier({ maxBatch: 5 });
const req = (method: string, pathAndQuery: string) => {
  const url = `http://localhost${pathAndQuery}`;
  return classify({ method, path: new URL(url).pathname, url });
};

describe('which budget a request spends', () => {
  it.each([
    ['GET', '/posts', { group: 'read', cost: 1, trpc: false }],
    ['HEAD', '/posts/1', { group: 'read', cost: 1, trpc: false }],
    ['GET', '/no/such/route', { group: 'read', cost: 1, trpc: false }],
    ['POST', '/posts', { group: 'write', cost: 1, trpc: false }],
    ['PUT', '/posts/1', { group: 'write', cost: 1, trpc: false }],
    ['DELETE', '/posts/1', { group: 'write', cost: 1, trpc: false }],
    ['POST', '/auth/login', { group: 'login', cost: 1, trpc: false }],
    ['POST', '/auth/register', { group: 'register', cost: 1, trpc: false }],
    ['POST', '/auth/logout', { group: 'write', cost: 1, trpc: false }],
    ['GET', '/auth/login', { group: 'read', cost: 1, trpc: false }],
    ['GET', '/health', null],
    ['GET', '/metrics', null],
    ['OPTIONS', '/posts', null],
    ['GET', '/trpc/posts.list', { group: 'read', cost: 1, trpc: true }],
    ['POST', '/trpc/posts.create', { group: 'write', cost: 1, trpc: true }],
    ['POST', '/trpc/auth.login', { group: 'login', cost: 1, trpc: true }],
    ['POST', '/trpc/auth.register', { group: 'register', cost: 1, trpc: true }],
    ['GET', '/trpc/health', { group: 'read', cost: 1, trpc: true }], // only the REST probe is exempt
    ['GET', '/trpc/posts.list,posts.get?batch=1', { group: 'read', cost: 2, trpc: true }],
    ['GET', '/trpc/posts.list,posts.get', { group: 'read', cost: 1, trpc: true }], // not a batch: one (unknown) procedure
    ['GET', '/trpc/posts.list%2Cposts.get%2Cposts.get?batch=1', { group: 'read', cost: 3, trpc: true }],
    ['GET', '/trpc/health,posts.list?batch=1', { group: 'read', cost: 2, trpc: true }],
    ['GET', '/trpc/health,health?batch=1', { group: 'read', cost: 2, trpc: true }],
    ['POST', '/trpc/posts.create,auth.login,auth.register?batch=1', { group: 'login', cost: 3, trpc: true }],
    ['POST', '/trpc/posts.create,auth.register?batch=1', { group: 'register', cost: 2, trpc: true }],
    ['GET', '/trpc/a,b,c,d,e?batch=1', { group: 'read', cost: 5, trpc: true }],
    ['GET', '/trpc/a,b,c,d,e,f?batch=1', null], // over maxBatch: tRPC refuses it with 400 before any work
    ['GET', '/trpc/%E0%A4%A', { group: 'read', cost: 1, trpc: true }], // bad encoding: tRPC answers 400
  ])('%s %s', (method, path, expected) => {
    expect(req(method, path)).toEqual(expected);
  });

  it('checks its options', () => {
    expect(() => createClassifier({ maxBatch: 0 })).toThrow('maxBatch must be an integer >= 1');
  });
});

describe('X-Forwarded-For behind trusted proxies', () => {
  it.each([
    [undefined, 1, undefined],
    ['203.0.113.9', 0, undefined],
    ['203.0.113.9', 1, '203.0.113.9'],
    ['6.6.6.6, 203.0.113.9', 1, '203.0.113.9'],
    ['6.6.6.6, 203.0.113.9, 10.0.0.2', 2, '203.0.113.9'],
    ['203.0.113.9', 3, '203.0.113.9'],
    ['2001:db8::1', 1, '2001:db8::1'],
    ['6.6.6.6, not-an-ip', 1, undefined],
    ['6.6.6.6, {x}', 1, undefined],
  ])('%s with %i hop(s) -> %s', (header, hops, expected) => {
    expect(forwardedClient(header, hops)).toBe(expected);
  });
});

describe('rate-limit config', () => {
  it('defaults: the tutorial read policy, stricter login/register/write, login and register fail closed', () => {
    const policies = policiesFromConfig(loadConfig({}));
    expect(policies).toEqual({
      read: { name: 'read', windows: [{ limit: 100, windowMs: 60_000 }], onRedisDown: 'open' },
      write: { name: 'write', windows: [{ limit: 30, windowMs: 60_000 }, { limit: 1000, windowMs: 86_400_000 }], onRedisDown: 'open' },
      login: { name: 'login', windows: [{ limit: 10, windowMs: 60_000 }, { limit: 50, windowMs: 3_600_000 }], onRedisDown: 'closed' },
      register: { name: 'register', windows: [{ limit: 5, windowMs: 3_600_000 }, { limit: 20, windowMs: 86_400_000 }], onRedisDown: 'closed' },
    });
    expect(loadConfig({})).toMatchObject({ RATE_LIMIT_ENABLED: true, RATE_LIMIT_TIMEOUT_MS: 200, RATE_LIMIT_MAX_BATCH: 50, TRUST_PROXY: 0 });
  });

  it('reads policies and proxy hops from the environment', () => {
    const config = loadConfig({ RATE_LIMIT_MAX: '5', RATE_LIMIT_WINDOW_SECONDS: '10', RATE_LIMIT_WRITE: ' 3/10s , 9/2h', RATE_LIMIT_FAIL_CLOSED: 'read', TRUST_PROXY: 'true' });
    const policies = policiesFromConfig(config);
    expect(policies.read).toEqual({ name: 'read', windows: [{ limit: 5, windowMs: 10_000 }], onRedisDown: 'closed' });
    expect(policies.write.windows).toEqual([{ limit: 3, windowMs: 10_000 }, { limit: 9, windowMs: 7_200_000 }]);
    expect(policies.login.onRedisDown).toBe('open');
    expect(config.TRUST_PROXY).toBe(1);
    expect(loadConfig({ TRUST_PROXY: '2' }).TRUST_PROXY).toBe(2);
    expect(loadConfig({ TRUST_PROXY: 'false' }).TRUST_PROXY).toBe(0);
  });

  it.each([
    [{ RATE_LIMIT_WRITE: '3/10x' }, 'RATE_LIMIT_WRITE: expected up to 4 <limit>/<window> pairs such as 30/1m,1000/1d (units s, m, h, d) (got "3/10x")'],
    [{ RATE_LIMIT_LOGIN: '3/1m,4/60s' }, 'RATE_LIMIT_LOGIN: each window length may appear once'],
    [{ RATE_LIMIT_REGISTER: '0/1h' }, 'RATE_LIMIT_REGISTER: limits and windows must be >= 1'],
    [{ RATE_LIMIT_FAIL_CLOSED: 'login,posts' }, 'RATE_LIMIT_FAIL_CLOSED: expected a comma list of login, register, write, read'],
    [{ RATE_LIMIT_MAX: '0' }, 'RATE_LIMIT_MAX: expected an integer >= 1'],
    [{ RATE_LIMIT_MAX_BATCH: 'many' }, 'RATE_LIMIT_MAX_BATCH: expected an integer'],
    [{ TRUST_PROXY: 'maybe' }, 'TRUST_PROXY: expected false, true (one proxy) or the number of proxies in front'],
  ])('refuses %j', (env, message) => {
    expect(() => loadConfig(env)).toThrow(`Invalid environment variable ${message}`);
  });
});
