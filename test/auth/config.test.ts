import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../server/config.ts';

describe('auth config', () => {
  it('has defaults for sessions, the login throttle and CSRF origins', () => {
    expect(loadConfig({})).toMatchObject({
      SESSION_TTL_SECONDS: 86_400,
      SESSION_MAX_AGE_SECONDS: 2_592_000,
      SESSION_TOUCH_INTERVAL_SECONDS: 60,
      SESSION_MAX_PER_USER: 100,
      LOGIN_MAX_FAILURES: 5,
      LOGIN_MAX_FAILURES_PER_EMAIL: 100,
      LOGIN_MAX_FAILURES_PER_IP: 50,
      LOGIN_FAILURE_WINDOW_SECONDS: 900,
      LOGIN_SLOWDOWN_MS: 500,
      LOGIN_MAX_SLOWDOWN_MS: 8000,
      CSRF_ALLOWED_ORIGINS: [],
    });
  });

  it('parses a list of allowed origins', () => {
    expect(loadConfig({ CSRF_ALLOWED_ORIGINS: ' https://app.example.com, http://localhost:5173 ,' }).CSRF_ALLOWED_ORIGINS).toEqual([
      'https://app.example.com',
      'http://localhost:5173',
    ]);
  });

  it.each([
    ['SESSION_TTL_SECONDS', { SESSION_TTL_SECONDS: '0' }, 'Invalid environment variable SESSION_TTL_SECONDS: expected an integer >= 1 (got "0")'],
    [
      'SESSION_TOUCH_INTERVAL_SECONDS',
      { SESSION_TTL_SECONDS: '60', SESSION_TOUCH_INTERVAL_SECONDS: '60' },
      'Invalid environment variable SESSION_TOUCH_INTERVAL_SECONDS: expected fewer seconds than SESSION_TTL_SECONDS (60) (got "60")',
    ],
    ['LOGIN_MAX_FAILURES', { LOGIN_MAX_FAILURES: 'many' }, 'Invalid environment variable LOGIN_MAX_FAILURES: expected an integer (got "many")'],
    [
      'LOGIN_MAX_FAILURES_PER_EMAIL',
      { LOGIN_MAX_FAILURES: '10', LOGIN_MAX_FAILURES_PER_EMAIL: '9' },
      'Invalid environment variable LOGIN_MAX_FAILURES_PER_EMAIL: expected at least LOGIN_MAX_FAILURES (10) (got "9")',
    ],
    [
      'CSRF_ALLOWED_ORIGINS',
      { CSRF_ALLOWED_ORIGINS: 'https://app.example.com/path' },
      'Invalid environment variable CSRF_ALLOWED_ORIGINS: expected origins like https://app.example.com',
    ],
  ])('refuses a bad %s with one line naming it', (_, env, message) => {
    expect(() => loadConfig(env)).toThrow(ConfigError);
    expect(() => loadConfig(env)).toThrow(message);
  });
});
