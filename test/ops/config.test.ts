import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../server/config.ts';

describe('ops config', () => {
  it('defaults: /metrics open, CORS off', () => {
    const c = loadConfig({});
    expect(c.METRICS_TOKEN).toBeUndefined();
    expect(c.CORS_ORIGINS).toEqual([]);
  });

  it('CORS_ORIGINS is a comma list of origins, trimmed and lower-cased', () => {
    expect(loadConfig({ CORS_ORIGINS: ' https://App.example.com, http://localhost:5173 ,' }).CORS_ORIGINS).toEqual([
      'https://app.example.com',
      'http://localhost:5173',
    ]);
  });

  it.each(['*', 'https://app.example.com/', 'app.example.com', 'ftp://app.example.com', 'https://a.com,null'])(
    'refuses CORS_ORIGINS=%s with one line naming it',
    (value) => {
      expect(() => loadConfig({ CORS_ORIGINS: value })).toThrow(ConfigError);
      expect(() => loadConfig({ CORS_ORIGINS: value })).toThrow(
        'Invalid environment variable CORS_ORIGINS: expected origins like https://app.example.com',
      );
    },
  );

  it('refuses a short METRICS_TOKEN without echoing it', () => {
    expect(() => loadConfig({ METRICS_TOKEN: 'hunter2' })).toThrow(/^Invalid environment variable METRICS_TOKEN: expected at least 16 characters$/);
    expect(loadConfig({ METRICS_TOKEN: 'a'.repeat(16) }).METRICS_TOKEN).toBe('a'.repeat(16));
  });
});
