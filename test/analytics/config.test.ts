import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ConfigError, configSchema, loadConfig } from '../../server/config.ts';

describe('analytics config', () => {
  it('requires ANALYTICS_VISITOR_SECRET in production, naming it', () => {
    expect(() => loadConfig({ NODE_ENV: 'production' })).toThrow(ConfigError);
    expect(() => loadConfig({ NODE_ENV: 'production' })).toThrow(/^Invalid environment variable ANALYTICS_VISITOR_SECRET: required in production/);
    const secret = 's'.repeat(32);
    expect(loadConfig({ NODE_ENV: 'production', ANALYTICS_VISITOR_SECRET: secret, METRICS_PUBLIC: 'true' }).ANALYTICS_VISITOR_SECRET).toBe(secret);
  });

  it('refuses a short secret without echoing it', () => {
    const attempt = () => loadConfig({ ANALYTICS_VISITOR_SECRET: 'tooshort-but-secret' });
    expect(attempt).toThrow('Invalid environment variable ANALYTICS_VISITOR_SECRET: expected at least 32 characters');
    expect(attempt).not.toThrow(/tooshort/);
  });

  it('generates a random secret per process outside production', () => {
    const a = loadConfig({}).ANALYTICS_VISITOR_SECRET;
    expect(a).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(loadConfig({ NODE_ENV: 'test' }).ANALYTICS_VISITOR_SECRET).not.toBe(a);
  });

  it('has defaults for the worker and the week cache, and bounds them', () => {
    expect(loadConfig({})).toMatchObject({ ANALYTICS_CLAIM_MIN_IDLE_MS: 60_000, ANALYTICS_STREAM_BATCH: 100, ANALYTICS_WEEK_CACHE_SECONDS: 60 });
    expect(() => loadConfig({ ANALYTICS_STREAM_BATCH: '0' })).toThrow('ANALYTICS_STREAM_BATCH: expected an integer >= 1');
    expect(() => loadConfig({ ANALYTICS_CLAIM_MIN_IDLE_MS: 'soon' })).toThrow('ANALYTICS_CLAIM_MIN_IDLE_MS: expected an integer');
  });

  it('lists every analytics variable in .env.example and in the docs/configuration.md table', () => {
    const names = Object.keys(configSchema.in.shape).filter((n) => n.startsWith('ANALYTICS_'));
    expect(names).toHaveLength(4);
    const envExample = readFileSync('.env.example', 'utf8');
    const configDoc = readFileSync('docs/configuration.md', 'utf8');
    for (const name of names) {
      expect(envExample, name).toMatch(new RegExp(`^${name}=`, 'm'));
      expect(configDoc, name).toContain(`| \`${name}\` |`);
    }
  });
});
