import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { lockDataDir } from '../../server/db/dir-lock.ts';

// A PGlite directory serves one process: its lock file (`<dir>.lock`, `<pid> <host>`).
const root = mkdtempSync(join(tmpdir(), 'blog-dir-lock-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
const freshDir = () => join(root, `pg${++n}`);
const inUse = (dir: string, holder: string) =>
  `The database in ${dir} is in use by process ${holder}: PGlite serves one process. Stop that process first, ` +
  `or set DATABASE_URL to a PostgreSQL server (if no such process uses it, delete ${dir}.lock)`;

describe('PGlite data directory lock', () => {
  it('is held until released, and refused meanwhile, in this process too', () => {
    const dir = freshDir();
    const lock = lockDataDir(dir);
    expect(readFileSync(`${dir}.lock`, 'utf8')).toBe(`${process.pid} ${hostname()}`);
    expect(() => lockDataDir(dir)).toThrow(inUse(dir, `${process.pid} (this one)`));
    lock.release();
    expect(existsSync(`${dir}.lock`)).toBe(false);
    lockDataDir(dir).release();
  });

  it('refuses a live process of this host, whatever the caller', () => {
    const dir = freshDir();
    const parent = process.ppid; // alive: it started us
    writeFileSync(`${dir}.lock`, `${parent} ${hostname()}`);
    expect(() => lockDataDir(dir, 'take-over')).toThrow(inUse(dir, String(parent)));
    expect(readFileSync(`${dir}.lock`, 'utf8')).toBe(`${parent} ${hostname()}`);
  });

  it('takes over a lock whose process died, or that names our id without being ours (a restarted container)', () => {
    const dead = spawnSync(process.execPath, ['-e', '']).pid!;
    for (const holder of [dead, process.pid]) {
      const dir = freshDir();
      writeFileSync(`${dir}.lock`, `${holder} ${hostname()}`);
      const lock = lockDataDir(dir);
      expect(readFileSync(`${dir}.lock`, 'utf8')).toBe(`${process.pid} ${hostname()}`);
      lock.release();
    }
  });

  it('a lock from another host (a container sharing the volume): the server takes it over, the admin command refuses', () => {
    const dir = freshDir();
    writeFileSync(`${dir}.lock`, '1 other-container');
    expect(() => lockDataDir(dir, 'refuse')).toThrow(inUse(dir, '1 on other-container'));
    const lock = lockDataDir(dir, 'take-over');
    expect(readFileSync(`${dir}.lock`, 'utf8')).toBe(`${process.pid} ${hostname()}`);
    lock.release();
  });
});
