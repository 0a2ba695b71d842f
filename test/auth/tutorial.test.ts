import { execFileSync } from 'node:child_process';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { freePort } from '../../server/redis/local-server.ts';
import { testPrefix } from '../helpers/app.ts';
import { nodeEntry, startServerProcess, type ServerProcess } from '../helpers/process.ts';

// The tutorial's curl examples, verbatim but for the port, against the real Node entry (what
// `npm start` runs) on a fresh in-memory SQL store: the demo user is seeded at start-up.
const tutorialLogin = `curl -X POST http://localhost:3000/auth/login \\
-H "Content-Type: application/json" \\
-d '{"email":"user@example.com","password":"password123"}'`;

let running: ServerProcess | undefined;
afterEach(async () => {
  await running?.stop();
  running = undefined;
});

const sh = (script: string) => execFileSync('bash', ['-c', script], { encoding: 'utf8', timeout: 10_000, stdio: 'pipe' });

describe('tutorial curl examples against a real server process', () => {
  it('login answers { sessionId, user }, and the following Bearer calls work', async () => {
    const port = await freePort();
    running = await startServerProcess(nodeEntry, {
      REDIS_URL: inject('redisUrl'),
      REDIS_KEY_PREFIX: testPrefix(),
      DATABASE_URL: 'memory://',
      NODE_ENV: 'development',
      LOG_LEVEL: 'info',
    }, port);
    const onPort = (cmd: string) => cmd.replaceAll('localhost:3000', `localhost:${port}`);

    const login = JSON.parse(sh(onPort(tutorialLogin))) as { sessionId: string; user: { id: number; email: string } };
    expect(login).toEqual({ sessionId: expect.stringMatching(/^\d+\.[A-Za-z0-9_-]{43}$/), user: { id: 1, email: 'user@example.com' } });

    const withSession = (method: string, path: string) =>
      sh(onPort(`curl -s -w '\\n%{http_code}' -X ${method} http://localhost:3000${path} -H "Authorization: Bearer ${login.sessionId}"`));
    expect(withSession('GET', '/auth/me')).toMatch(/"email":"user@example.com".*\n200$/s);
    expect(withSession('POST', '/auth/refresh')).toMatch(/^\{"message":"Session refreshed",.*\n200$/s);
    expect(withSession('POST', '/auth/logout')).toBe('{"message":"Logged out successfully"}\n200');
    expect(withSession('GET', '/auth/me')).toMatch(/"code":"UNAUTHORIZED".*\n401$/s);

    expect(await running.stop()).toBe(0);
    // Every request was logged, and nothing secret reached the log.
    expect(running.output()).toContain('"path":"/auth/login"');
    expect(running.output()).not.toContain(login.sessionId.split('.')[1]);
    expect(running.output()).not.toContain('password123');
    running = undefined;
  }, 150_000);
});
