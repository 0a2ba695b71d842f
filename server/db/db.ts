import { execFile } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { PGlite } from '@electric-sql/pglite';
import { lockDataDir, type ForeignLock } from './dir-lock.ts';
import { pgliteOptions } from './pglite-settings.ts';

/** What services need from the SQL store; both PGlite and PostgreSQL provide it with the same SQL. */
export interface Queryable {
  query<T extends object>(sql: string, params?: unknown[]): Promise<T[]>;
  /** Runs a script of several statements without parameters (migrations). */
  exec(sql: string): Promise<void>;
}

export interface Db extends Queryable {
  readonly kind: 'pglite' | 'postgres';
  /** Runs `fn` in one transaction: committed when it resolves, rolled back when it throws. */
  transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T>;
  /** Resolves when a trivial query succeeds within `timeoutMs`. */
  ping(timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

export interface DbOptions {
  /** `postgres://…` for PostgreSQL, `memory://` for in-memory PGlite, else a PGlite data directory. */
  url: string;
  /** A PGlite directory's lock written on another host: taken over (the server) or refused (the admin command). @default 'take-over' */
  foreignLock?: ForeignLock;
}

/** Each store's driver is loaded only when it is used: a PostgreSQL deployment never loads PGlite's WebAssembly, nor the reverse. */
export async function createDb(opts: DbOptions): Promise<Db> {
  if (/^postgres(ql)?:\/\//.test(opts.url)) return createPostgresDb(opts.url);
  return createPgliteDb(opts.url === 'memory://' ? undefined : opts.url, opts.foreignLock);
}

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} timed out after ${ms} ms`)), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

async function createPgliteDb(dataDir: string | undefined, foreignLock: ForeignLock | undefined): Promise<Db> {
  // PGlite creates its own directory but not the parents: `REDIS_URL=... npm start` on a fresh
  // checkout has no `.data/` yet (only the local redis-server start-up would have made it).
  if (dataDir) mkdirSync(dataDir, { recursive: true });
  const lock = dataDir ? lockDataDir(dataDir, foreignLock) : null;
  let lite: PGlite;
  try {
    if (dataDir && !existsSync(join(dataDir, 'PG_VERSION'))) await initDataDir(dataDir);
    const { PGlite } = await import('@electric-sql/pglite');
    const options = pgliteOptions(PGlite.defaultStartParams);
    lite = dataDir ? new PGlite(dataDir, options) : new PGlite(options);
    await lite.waitReady;
  } catch (err) {
    lock?.release();
    throw err;
  }
  const query = async <T extends object>(sql: string, params?: unknown[]) =>
    (await lite.query<T>(sql, params as unknown[] | undefined)).rows;
  return {
    kind: 'pglite',
    query,
    exec: async (sql) => {
      await lite.exec(sql);
    },
    transaction: (fn) =>
      lite.transaction((tx) =>
        fn({
          query: async <T extends object>(sql: string, params?: unknown[]) => (await tx.query<T>(sql, params)).rows,
          exec: async (sql) => {
            await tx.exec(sql);
          },
        }),
      ),
    ping: async (timeoutMs = 1000) => {
      await withTimeout(lite.query('select 1'), timeoutMs, 'database ping');
    },
    close: async () => {
      if (!lite.closed) await lite.close();
      lock?.release();
    },
  };
}

/**
 * Runs PGlite's initdb for a new data directory in a child process (pglite-init.ts), whose memory
 * goes back when it exits; this process then opens the directory as on any later start.
 */
async function initDataDir(dataDir: string): Promise<void> {
  // Compiled (dist/), the script is pglite-init.js beside this module; from the sources it is the
  // .ts file, which Node 20 runs through tsx's hook (Bun runs TypeScript itself).
  const compiled = import.meta.url.endsWith('.js');
  const script = fileURLToPath(new URL(`./pglite-init.${compiled ? 'js' : 'ts'}`, import.meta.url));
  const loader = compiled || process.versions.bun ? [] : ['--import', 'tsx'];
  await promisify(execFile)(process.execPath, [...loader, script, dataDir], { timeout: 120_000 }).catch((err: Error & { stderr?: string }) => {
    throw new Error(`Could not create the PGlite data directory ${dataDir}: ${err.stderr?.trim() || err.message}`, { cause: err });
  });
}

async function createPostgresDb(url: string): Promise<Db> {
  const { default: pg } = await import('pg');
  const pool = new pg.Pool({ connectionString: url, max: 10, connectionTimeoutMillis: 5000, idleTimeoutMillis: 30_000 });
  // An idle client's error (server restart) must not crash the process; the pool replaces it.
  pool.on('error', () => {});
  await pool.query('select 1');
  const query = async <T extends object>(sql: string, params?: unknown[]) =>
    (await pool.query(sql, params as unknown[] | undefined)).rows as T[];
  return {
    kind: 'postgres',
    query,
    exec: async (sql) => {
      await pool.query(sql);
    },
    transaction: async (fn) => {
      const client = await pool.connect();
      try {
        await client.query('begin');
        const result = await fn({
          query: async <T extends object>(sql: string, params?: unknown[]) =>
            (await client.query(sql, params as unknown[] | undefined)).rows as T[],
          exec: async (sql) => {
            await client.query(sql);
          },
        });
        await client.query('commit');
        return result;
      } catch (err) {
        await client.query('rollback').catch(() => {});
        throw err;
      } finally {
        client.release();
      }
    },
    ping: async (timeoutMs = 1000) => {
      await withTimeout(pool.query('select 1'), timeoutMs, 'database ping');
    },
    close: () => pool.end(),
  };
}
