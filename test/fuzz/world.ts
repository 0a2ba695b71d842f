import { expect } from 'vitest';
import { z } from 'zod';
import { errorBodySchema, errorCodeSchema } from '../../shared/errors.ts';
import { scanKeys } from '../auth/helpers.ts';
import { createTestApp, jsonRequest, type TestApp } from '../helpers/app.ts';
import { waitFor, WaitTimedOut } from '../helpers/wait.ts';

/**
 * The app under fuzz and what the properties check around each request: a caller with a live
 * session, a snapshot of everything stored (to prove a refused input wrote nothing), the error
 * shapes, and that Object.prototype stayed clean.
 */

/** The fixture user; its password is none of the strings the fuzzer sends, so it cannot lock itself out. */
const OWNER = { email: 'fuzz-owner@example.com', password: 'fuzz-owner-secret-9' };

export interface FuzzWorld {
  t: TestApp;
  bodyLimit: number;
  /** Headers of a live session of the fixture user (an admin, so admin routes get past the role check). */
  sessionHeaders(): Promise<Record<string, string>>;
  /** Everything stored now; after an accepted request, first waits until the stores are quiet. */
  snapshot(): Promise<StoreSnapshot>;
  /**
   * The checks after every fuzzed request: a refused one (`before` was taken) wrote nothing; an
   * accepted one may have written, and may have ended the session (a logout, refresh or revoke),
   * which is then replaced; Object.prototype is clean either way.
   */
  afterRequest(before: StoreSnapshot | undefined, caller: Caller, context: string): Promise<void>;
  close(): Promise<void>;
}

export type Caller = 'anonymous' | 'session';

export interface StoreSnapshot {
  /** When the keys' DUMPs and PTTLs were read: from `at` to `until` (ms since the epoch). */
  at: number;
  until: number;
  /** Key -> DUMP (type and value, not TTL) as hex, for every key under the app's prefix. */
  redis: Record<string, string>;
  /** Key -> PTTL in ms (-1: none), to tell a key that expired from one a request deleted. */
  ttl: Record<string, number>;
  /** Table -> row count and an md5 of all rows. */
  sql: Record<string, string>;
}

/** `env` adds to (or overrides) the fuzz settings, e.g. rate limiting on for the name fuzzer. */
export async function createFuzzWorld(env: Record<string, string> = {}): Promise<FuzzWorld> {
  const t = await createTestApp({
    env: {
      // No sliding writes during the run: a refused request must leave the session hash byte for byte.
      SESSION_TOUCH_INTERVAL_SECONDS: String(86_400 - 1),
      LOG_LEVEL: 'error',
      // The fuzzer hunts bad-input bugs, not timeouts: on a busy 2-core machine the defaults (1 s,
      // 200 ms) turn a slow Redis reply into a 503 or a cache fill that lands after the answer.
      REDIS_COMMAND_TIMEOUT_MS: '10000',
      POST_CACHE_TIMEOUT_MS: '5000',
      ...env,
    },
  });
  const sqlDigest = await sqlDigestQuery(t);
  const register = await jsonRequest(t.app, 'POST', '/auth/register', OWNER);
  expect(register.status).toBe(201);
  const { user } = (await register.json()) as { user: { id: number; email: string } };
  await t.services.auth.grantRole(OWNER.email, 'admin');
  const newToken = async () =>
    (await t.services.auth.sessions.create({ userId: user.id, email: user.email, ip: '203.0.113.9', userAgent: 'fuzz' })).token;
  // Through the real login once, so the roles set and everything a login writes exist.
  const login = await jsonRequest(t.app, 'POST', '/auth/login', OWNER);
  expect(login.status).toBe(200);
  let token = ((await login.json()) as { sessionId: string }).sessionId;
  const headers = () => ({ authorization: `Bearer ${token}` });
  let dirty = false;
  const ensureSession = async () => {
    const me = await jsonRequest(t.app, 'GET', '/auth/me', undefined, headers());
    if (me.status === 200) return;
    expect(me.status).toBe(401);
    token = await newToken();
  };

  // Posts 1-3 exist, with tags and a location, so valid-looking ids reach real rows and caches.
  for (const [i, tags] of [['a'], ['a', 'b'], []].entries()) {
    const res = await jsonRequest(t.app, 'POST', '/posts', { title: `Post ${i + 1}`, content: 'Body', tags, location: { longitude: 2.35, latitude: 48.85 } }, headers());
    expect(res.status).toBe(201);
  }
  // The live-events reader only (GET /events needs it); the view flusher and the analytics worker
  // would write on their own timers, in the middle of a snapshot.
  t.background.find((task) => task.name === 'live-events')!.start();
  await waitFor(() => t.services.events.stats().lastId !== null, { timeoutMs: 5000, what: 'the live reader has found the end of the stream' });
  // Marks the user active today (written once per day), so later requests add nothing.
  expect((await jsonRequest(t.app, 'GET', '/auth/me', undefined, headers())).status).toBe(200);

  const quietSnapshot = async (): Promise<StoreSnapshot> => {
    if (!dirty) return snapshot(t, sqlDigest);
    dirty = false;
    await t.services.posts.sendViews();
    await new Promise((resolve) => setImmediate(resolve));
    await t.redis.ping(); // after every command already sent on the app's connection
    // Then until two snapshots 20 ms apart agree (at most 2 s, then the last one): work the answer
    // did not wait for (a cache fill past its time budget, visitors appended after the view send) has landed.
    let last: StoreSnapshot | undefined;
    const settled = async () => {
      const next = await snapshot(t, sqlDigest);
      const same = last !== undefined && changes(last, next) === '';
      last = next;
      return same && next;
    };
    return waitFor(settled, { timeoutMs: 2_000, what: 'two snapshots 20 ms apart agree' }).catch((err: unknown) => {
      if (err instanceof WaitTimedOut) return last!;
      throw err;
    });
  };

  return {
    t,
    bodyLimit: t.config.BODY_LIMIT_BYTES,
    sessionHeaders: async () => headers(),
    snapshot: quietSnapshot,
    afterRequest: async (before, caller, context) => {
      if (before) {
        expect(changes(before, await quietSnapshot()), `refused input wrote: ${context}`).toBe('');
      } else {
        // Writes it did not wait for (the view recorder's send, a slow cache fill) may still land.
        dirty = true;
        if (caller === 'session') await ensureSession();
      }
      expectPrototypeClean();
    },
    close: () => t.close(),
  };
}

/** Reads everything the app stored: DUMPs of its Redis keys (one pipeline) and a digest per SQL table (one query). */
async function snapshot(t: TestApp, sqlDigest: string): Promise<StoreSnapshot> {
  const [keys, [row]] = await Promise.all([scanKeys(t.redis, t.config.REDIS_KEY_PREFIX), t.db.query<Record<string, string>>(sqlDigest)]);
  const at = Date.now();
  const pipeline = t.redis.pipeline();
  for (const key of keys) pipeline.dumpBuffer(key).pttl(key);
  const replies = (await pipeline.exec()) ?? [];
  const until = Date.now();
  const redis: Record<string, string> = {};
  const ttl: Record<string, number> = {};
  keys.forEach((key, i) => {
    const dump = replies[2 * i]?.[1] as Buffer | null;
    if (dump) redis[key] = dump.toString('hex'); // null: it expired since the SCAN
    ttl[key] = Number(replies[2 * i + 1]?.[1] ?? -1);
  });
  return { at, until, redis, ttl, sql: { ...row } };
}

/** One query giving, per table, its row count and an md5 of all its rows. */
async function sqlDigestQuery(t: TestApp): Promise<string> {
  const tables = await t.db.query<{ name: string }>(`select tablename as name from pg_tables where schemaname = 'public' order by 1`);
  const columns = tables.map(
    ({ name }) => `(select count(*) || ' rows, md5 ' || md5(coalesce(string_agg(r::text, '|' order by r::text), '')) from "${name}" r) as "${name}"`,
  );
  return `select ${columns.join(', ')}`;
}

/**
 * The keys whose value changed, appeared or disappeared, and the tables that changed: empty when
 * nothing was written. A key gone after its TTL ran out (a short-lived cache entry) expired: no write.
 */
export function changes(before: StoreSnapshot, after: StoreSnapshot): string {
  const diff: string[] = [];
  // It may have expired if its TTL, read at `before.at` at the earliest, ran out by `after.until` at the latest.
  const expired = (key: string) => before.ttl[key]! >= 0 && before.ttl[key]! <= after.until - before.at + 50;
  for (const key of new Set([...Object.keys(before.redis), ...Object.keys(after.redis)])) {
    if (before.redis[key] === after.redis[key]) continue;
    if (after.redis[key] === undefined && expired(key)) continue;
    diff.push(`redis ${key}: ${before.redis[key] ? 'changed' : 'created'}${after.redis[key] ? '' : ' (deleted)'}`);
  }
  for (const table of Object.keys(after.sql)) {
    if (before.sql[table] !== after.sql[table]) diff.push(`sql ${table}: ${before.sql[table]} -> ${after.sql[table]}`);
  }
  return diff.join('\n');
}

/** REST: every error answer is `{ error: { code, message, requestId, ... } }` in JSON. */
export const restErrorSchema = z.object({ error: errorBodySchema.extend({ requestId: z.string().min(1) }) });

/** tRPC: the error envelope with our fields in `data` (appCode always; details and retryAfter when they apply). */
const trpcErrorSchema = z.object({
  error: z.object({
    message: z.string(),
    code: z.number().int(),
    data: z.object({ code: z.string(), httpStatus: z.number().int().min(400).max(499), appCode: errorCodeSchema }).loose(),
  }),
});
const trpcResultSchema = z.object({ result: z.object({}).loose() });
/** The error event a tRPC subscription sends over SSE (`event: serialized-error`): the error itself. */
export const trpcStreamErrorSchema = trpcErrorSchema.shape.error;
/** An error answer: one error, or a batch's array (one entry per call) holding at least one. */
export const trpcErrorAnswerSchema = z.union([
  trpcErrorSchema,
  z.array(z.union([trpcErrorSchema, trpcResultSchema])).refine((entries) => entries.some((e) => 'error' in e)),
]);

/** Own keys of Object.prototype at import: a pollution adds to them. */
const cleanPrototype = Object.getOwnPropertyNames(Object.prototype).sort();

export function expectPrototypeClean(): void {
  expect(Object.getOwnPropertyNames(Object.prototype).sort()).toEqual(cleanPrototype);
  const probe: Record<string, unknown> = {};
  expect(probe.polluted).toBeUndefined();
  expect(probe.isAdmin).toBeUndefined();
  expect(Object.getPrototypeOf(probe)).toBe(Object.prototype);
}

/**
 * Reads the answer whatever it is. JSON is parsed. A live event stream is cancelled after its
 * headers, or with `drain`, read until it ends (a refused tRPC subscription sends one error event
 * and closes) or for at most 2 s.
 */
export async function readAnswer(res: Response, drain = false): Promise<{ status: number; type: string; json: unknown; text: string }> {
  const type = res.headers.get('content-type') ?? '';
  if (type.startsWith('text/event-stream')) {
    if (!drain) {
      await res.body?.cancel();
      return { status: res.status, type, json: undefined, text: '' };
    }
    const reader = res.body!.getReader();
    const timer = setTimeout(() => void reader.cancel(), 2_000);
    let text = '';
    for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) text += new TextDecoder().decode(chunk.value);
    clearTimeout(timer);
    return { status: res.status, type, json: undefined, text };
  }
  const text = await res.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, type, json, text };
}

/** The fuzz parameters: runs per target and caller, and the seed (printed; FUZZ_SEED replays a failure). */
export const fuzzRuns = Number(process.env.FUZZ_RUNS ?? 25);
export const fuzzSeed = Number(process.env.FUZZ_SEED ?? Date.now() % 2 ** 31);
/** Per route or procedure: numRuns requests on a busy 2-core machine take seconds, not the default 30 s budget of a test. */
export const fuzzTimeoutMs = 180_000;
