import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../server/config.ts';

describe('config', () => {
  it('has embedded defaults for every variable', () => {
    const c = loadConfig({});
    expect(c).toMatchObject({
      PORT: 3000,
      HOST: '127.0.0.1',
      NODE_ENV: 'development',
      LOG_LEVEL: 'info',
      REDIS_KEY_PREFIX: 'blog:',
      DATA_DIR: '.data',
      SEED_DEMO: true,
    });
    expect(c.REDIS_URL).toBeUndefined();
    expect(c.DATABASE_URL).toBeUndefined();
  });

  it('parses values and treats empty strings as unset', () => {
    const c = loadConfig({ PORT: '8080', REDIS_URL: 'redis://h:1', PORT_UNUSED: 'x', HOST: '', CSRF_ALLOWED_ORIGINS: ' HTTPS://A.io, https://b.io ,' });
    expect(c.PORT).toBe(8080);
    expect(c.HOST).toBe('127.0.0.1');
    expect(c.REDIS_URL).toBe('redis://h:1');
    expect(c.CSRF_ALLOWED_ORIGINS).toEqual(['https://a.io', 'https://b.io']);
  });

  it('turns the demo seed off by default in production', () => {
    const production = { NODE_ENV: 'production', ANALYTICS_VISITOR_SECRET: 'x'.repeat(32), METRICS_PUBLIC: 'true' };
    expect(loadConfig(production).SEED_DEMO).toBe(false);
    expect(loadConfig({ ...production, SEED_DEMO: 'true' }).SEED_DEMO).toBe(true);
  });

  it.each([
    ['PORT', 'abc', 'Invalid environment variable PORT: expected an integer (got "abc")'],
    ['PORT', '70000', 'Invalid environment variable PORT: expected an integer <= 65535 (got "70000")'],
    ['REDIS_URL', 'nonsense', 'Invalid environment variable REDIS_URL: expected a redis:// or rediss:// URL'],
    ['DATABASE_URL', 'mysql://x', 'Invalid environment variable DATABASE_URL: expected a postgres:// URL or memory://'],
    ['LOG_LEVEL', 'loud', 'Invalid environment variable LOG_LEVEL:'],
    ['SEED_DEMO', 'maybe', 'Invalid environment variable SEED_DEMO: expected true or false (got "maybe")'],
  ])('refuses %s=%s with one line naming it', (name, value, message) => {
    expect(() => loadConfig({ [name]: value })).toThrow(ConfigError);
    expect(() => loadConfig({ [name]: value })).toThrow(message);
  });

  it('never echoes a URL, which may carry a password', () => {
    expect(() => loadConfig({ REDIS_URL: 'redis://:secret pass@host' })).toThrow(/^(?!.*secret).*$/);
  });

  it.each([
    ['PORT', 'abc'],
    ['REDIS_URL', 'nonsense'],
  ])('npm start with %s=%s exits 1 printing one line that names it', (name, value) => {
    const r = spawnSync('node_modules/.bin/tsx', ['server/main.node.ts'], {
      env: { ...process.env, [name]: value },
      encoding: 'utf8',
      timeout: 20_000,
    });
    expect(r.status).toBe(1);
    const lines = r.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(new RegExp(`^Invalid environment variable ${name}: `));
    expect(r.stdout).toBe('');
  });
});
