import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { createDb } from '../../server/db/db.ts';
import { freePort } from '../../server/redis/local-server.ts';
import { testPrefix } from '../helpers/app.ts';
import { nodeEntry, startServerProcess } from '../helpers/process.ts';

const MB = 1024 * 1024;
const rss = (pid: number) => Number(/^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]) * 1024;
const dirs: string[] = [];
const newDir = () => {
  const d = mkdtempSync(join(tmpdir(), 'blog-footprint-'));
  dirs.push(d);
  return join(d, 'pg');
};
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

describe('the embedded PGlite footprint', () => {
  it('creates a new data directory (in a child process), then opens it with shared_buffers=16MB; a reopen finds the data', async () => {
    const dir = newDir();
    const db = await createDb({ url: dir });
    expect(existsSync(join(dir, 'PG_VERSION'))).toBe(true);
    expect(await db.query('show shared_buffers')).toEqual([{ shared_buffers: '16MB' }]);
    await db.exec('create table t (x int); insert into t values (7)');
    await db.close();
    const again = await createDb({ url: dir });
    expect(await again.query('select x from t')).toEqual([{ x: 7 }]);
    await again.close();
  }, 180_000);

  // Before: 860-890 MB resident right after the first start (initdb's WebAssembly instance stayed).
  it('the server started on a new data directory stays well under the first-start figure it had (860 MB)', async () => {
    const port = await freePort();
    const server = await startServerProcess(nodeEntry, { REDIS_URL: inject('redisUrl'), REDIS_KEY_PREFIX: testPrefix(), DATA_DIR: join(newDir(), '..') }, port, 180_000);
    try {
      expect(rss(server.child.pid!)).toBeLessThan(400 * MB);
    } finally {
      expect(await server.stop()).toBe(0);
    }
  }, 240_000);
});
