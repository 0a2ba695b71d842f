import { afterEach, describe, expect, inject, it } from 'vitest';
import { freePort } from '../../server/redis/local-server.ts';
import { createTestApp, testPrefix, type TestApp } from '../helpers/app.ts';
import { nodeEntry, startServerProcess, type ServerProcess } from '../helpers/process.ts';
import { listen } from '../helpers/server.ts';
import { runTutorial, sh } from '../helpers/tutorial.ts';

describe("the tutorial's curl sequence for posts", () => {
  let app: TestApp | undefined;
  let server: Awaited<ReturnType<typeof listen>> | undefined;
  let proc: ServerProcess | undefined;
  afterEach(async () => {
    await server?.close();
    await app?.close();
    await proc?.stop();
    [app, server, proc] = [undefined, undefined, undefined];
  });

  it('against the in-process app over HTTP', async () => {
    app = await createTestApp();
    server = await listen(app.app);
    await runTutorial(Number(new URL(server.url).port));
  });

  it('against a real `tsx server/main.node.ts` process (rate limiting on)', async () => {
    const port = await freePort();
    proc = await startServerProcess(nodeEntry, {
      REDIS_URL: inject('redisUrl'),
      REDIS_KEY_PREFIX: testPrefix(),
      DATABASE_URL: 'memory://',
      NODE_ENV: 'development',
    }, port);
    await runTutorial(port);
    expect(await sh(`curl -s -o /dev/null -w '%{header_json}' http://localhost:${port}/posts/1`)).toMatch(/"ratelimit-limit":\["100"\]/);
    expect(await proc.stop()).toBe(0);
    proc = undefined;
  }, 180_000);
});
