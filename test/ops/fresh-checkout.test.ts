import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, inject, it } from 'vitest';
import { freePort } from '../../server/redis/local-server.ts';
import { testPrefix } from '../helpers/app.ts';
import { nodeEntry, startServerProcess } from '../helpers/process.ts';

// What the README's "managed Redis" instructions do on a fresh checkout: REDIS_URL set, no .data/ yet.
describe('a fresh checkout with REDIS_URL set', () => {
  it('starts with a DATA_DIR that does not exist yet: the PGlite directory is created', async () => {
    const root = mkdtempSync(join(tmpdir(), 'blog-fresh-'));
    const running = await startServerProcess(nodeEntry, {
      REDIS_URL: inject('redisUrl'),
      REDIS_KEY_PREFIX: testPrefix(),
      DATA_DIR: join(root, 'not', 'yet', 'there'),
    }, await freePort());
    try {
      expect(await (await fetch(`${running.url}/health`)).json()).toMatchObject({ status: 'ok', db: { status: 'up' } });
      expect(await running.stop()).toBe(0);
    } finally {
      await running.stop();
      rmSync(root, { recursive: true, force: true });
    }
  }, 150_000);
});
