import { randomBytes } from 'node:crypto';
import { z } from 'zod';

/**
 * Every environment variable the server reads, parsed once at start-up.
 * Defaults are the embedded set-up: `npm start` needs no variable at all.
 * `.env.example` lists the same variables with the same defaults.
 */
const bool = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'], { error: 'expected true or false' })
  .transform((v) => v === 'true' || v === '1' || v === 'yes');

const int = (min: number, max: number) =>
  z.coerce
    .number({ error: 'expected an integer' })
    .int({ error: 'expected an integer' })
    .min(min, { error: `expected an integer >= ${min}` })
    .max(max, { error: `expected an integer <= ${max}` });

const redisUrl = z
  .string()
  .regex(/^rediss?:\/\/[^\s]+$/, { error: 'expected a redis:// or rediss:// URL' })
  .refine((v) => URL.canParse(v), { error: 'expected a redis:// or rediss:// URL' });

/** Comma list of `host:port` Redis Cluster seed nodes. */
const clusterNodeList = z
  .string()
  .transform((v) => v.split(',').map((n) => n.trim()).filter(Boolean))
  .pipe(
    z
      .array(z.string().regex(/^[A-Za-z0-9.-]+:\d{1,5}$/, { error: 'expected host:port items such as 10.0.0.1:7000,10.0.0.2:7000' }))
      .min(1, { error: 'expected at least one host:port' }),
  );

const databaseUrl = z
  .string()
  .regex(/^(postgres(ql)?:\/\/[^\s]+|memory:\/\/)$/, {
    error: 'expected a postgres:// URL or memory://',
  });

/** A comma list, trimmed and lower-cased, empty items dropped. */
const commaList = z.string().transform((v) =>
  v
    .split(',')
    .map((item) => item.trim().toLowerCase())
    .filter(Boolean),
);

/**
 * Comma list of browser origins (`https://app.example.com`), compared exactly with a request's
 * Origin. An origin is scheme, host and optional port: no path, no trailing slash, no `*`
 * (credentials are allowed, and a wildcard with credentials would let any site act as a logged-in user).
 */
const originList = commaList.pipe(
  z.array(z.string().regex(/^https?:\/\/[a-z0-9.-]+(:\d{1,5})?$/, { error: 'expected origins like https://app.example.com' })),
);

const DAY = 86_400;

/** `false` (ignore X-Forwarded-For), `true` (one proxy in front) or how many proxies are in front. */
const proxyHops = z
  .string()
  .regex(/^(true|false|yes|no|\d{1,2})$/, { error: 'expected false, true (one proxy) or the number of proxies in front' })
  .transform((v) => (v === 'true' || v === 'yes' ? 1 : v === 'false' || v === 'no' ? 0 : Number(v)));

/** The route groups that rate limiting tells apart, strictest first. */
export const rateLimitGroups = ['login', 'register', 'write', 'read'] as const;
export type RateLimitGroup = (typeof rateLimitGroups)[number];

const rateLimitGroupList = z
  .string()
  .transform((v) => v.split(',').map((g) => g.trim()).filter(Boolean))
  .pipe(z.array(z.enum(rateLimitGroups, { error: `expected a comma list of ${rateLimitGroups.join(', ')}` })));

const unitMs = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

/**
 * Windows of one rate-limit policy, all enforced together: `30/1m,1000/1d` is at most 30 per
 * minute and 1,000 per day. Units: s, m, h, d.
 */
const rateLimitWindows = z
  .string()
  .regex(/^\s*\d{1,6}\/\d{1,4}[smhd]\s*(,\s*\d{1,6}\/\d{1,4}[smhd]\s*){0,3}$/, {
    error: 'expected up to 4 <limit>/<window> pairs such as 30/1m,1000/1d (units s, m, h, d)',
  })
  .transform((v) =>
    v.split(',').map((pair) => {
      const [, limit, n, unit] = /(\d+)\/(\d+)([smhd])/.exec(pair)!;
      return { limit: Number(limit), windowMs: Number(n) * unitMs[unit as keyof typeof unitMs] };
    }),
  )
  .refine((ws) => ws.every((w) => w.limit >= 1 && w.windowMs >= 1000), { error: 'limits and windows must be >= 1' })
  .refine((ws) => new Set(ws.map((w) => w.windowMs)).size === ws.length, { error: 'each window length may appear once' });

export const configSchema = z
  .object({
    NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
    PORT: int(0, 65535).default(3000),
    HOST: z.string().min(1).default('127.0.0.1'),
    LOG_LEVEL: z.enum(['debug', 'info', 'warn', 'error', 'silent']).default('info'),
    /** Unset: use 127.0.0.1:6379, or start a local redis-server child when nothing answers there. */
    REDIS_URL: redisUrl.optional(),
    /**
     * Set: the app talks to a Redis Cluster through these seed nodes (`host:port`, comma-separated;
     * the other nodes are discovered) instead of REDIS_URL. Unset: one Redis server.
     */
    REDIS_CLUSTER_NODES: clusterNodeList.optional(),
    /** Every key the app writes starts with this; tests give each file its own. */
    REDIS_KEY_PREFIX: z
      .string()
      .regex(/^[A-Za-z0-9:_{}-]{1,64}$/, { error: 'expected 1-64 of A-Z a-z 0-9 : _ - { }' })
      .default('blog:'),
    /** A command that takes longer than this fails, so no request waits on a dead Redis. */
    REDIS_COMMAND_TIMEOUT_MS: int(50, 60_000).default(1000),
    /** Unset: PGlite persisted under DATA_DIR/pg. `memory://`: PGlite in memory. */
    DATABASE_URL: databaseUrl.optional(),
    DATA_DIR: z.string().min(1).default('.data'),
    /** Largest accepted request body; larger ones get 413. */
    BODY_LIMIT_BYTES: int(1024, 50 * 1024 * 1024).default(256 * 1024),
    /** How long shutdown may take before the process exits anyway. */
    SHUTDOWN_TIMEOUT_MS: int(100, 120_000).default(10_000),
    SEED_DEMO: bool.optional(),
    /** Off: no request is rate limited (the test helper turns it off; rate-limit tests turn it on). */
    RATE_LIMIT_ENABLED: bool.default(true),
    /** The read policy, shared by every read route (REST and tRPC): the tutorial's 100 per 60 s. */
    RATE_LIMIT_MAX: int(1, 100_000).default(100),
    RATE_LIMIT_WINDOW_SECONDS: int(1, 86_400).default(60),
    /** Writes: POST/PUT/PATCH/DELETE routes and tRPC mutations other than login and register. */
    RATE_LIMIT_WRITE: rateLimitWindows.prefault('30/1m,1000/1d'),
    /** POST /auth/login and auth.login, per client (or user). */
    RATE_LIMIT_LOGIN: rateLimitWindows.prefault('10/1m,50/1h'),
    /** POST /auth/register and auth.register, per client. */
    RATE_LIMIT_REGISTER: rateLimitWindows.prefault('5/1h,20/1d'),
    /** Groups refused (503) when Redis does not answer in time; the others are let through. */
    RATE_LIMIT_FAIL_CLOSED: rateLimitGroupList.prefault('login,register'),
    /** Longest a request waits for a rate-limit decision before the fail-open/closed rule decides. */
    RATE_LIMIT_TIMEOUT_MS: int(10, 10_000).default(200),
    /** Most calls in one tRPC batch; larger batches are refused with 400 before any work. */
    RATE_LIMIT_MAX_BATCH: int(1, 1000).default(50),
    /** Trust X-Forwarded-For from this many proxies in front of the app; false ignores the header. */
    TRUST_PROXY: proxyHops.default(0),
    /**
     * Set: GET /metrics requires `Authorization: Bearer <METRICS_TOKEN>`. Unset: /metrics is open,
     * which production allows only with METRICS_PUBLIC=true.
     */
    METRICS_TOKEN: z.string().min(16, { error: 'expected at least 16 characters' }).optional(),
    /** The operator's explicit choice to serve /metrics without a token in production (e.g. a port only the scraper reaches). */
    METRICS_PUBLIC: bool.default(false),
    /** The event stream keeps about this many entries (XADD MAXLEN ~): how far back a live subscriber can resume. */
    EVENT_STREAM_MAXLEN: int(100, 10_000_000).default(10_000),
    /** Live-event subscribers (SSE streams, tRPC or GET /events) one instance serves; more are refused with 503. */
    EVENTS_MAX_SUBSCRIBERS: int(1, 1_000_000).default(1000),
    /** Live-event streams one client (a signed-in user, else an address) may hold open on one instance; more are refused with 429. */
    EVENTS_MAX_STREAMS_PER_CLIENT: int(1, 1_000_000).default(5),
    /** Events queued for one subscriber that is not reading; past it the subscriber is dropped and resumes by reconnecting. */
    EVENTS_SUBSCRIBER_BUFFER: int(1, 100_000).default(256),
    /** GET /events sends a `: ping` comment this often so idle proxies keep the stream open (tRPC's SSE pings every 15 s). */
    EVENTS_HEARTBEAT_MS: int(1000, 300_000).default(15_000),
    /** Browser origins allowed to call the API cross-origin, with credentials. Empty: same-origin only. */
    CORS_ORIGINS: originList.default([]),
    /** Idle timeout of a session: each authenticated request pushes its expiry this far ahead. */
    SESSION_TTL_SECONDS: int(1, 365 * DAY).default(DAY),
    /** Absolute lifetime of a session from login; nothing extends it. */
    SESSION_MAX_AGE_SECONDS: int(1, 365 * DAY).default(30 * DAY),
    /** A session's record is rewritten (last seen, idle expiry) at most once per this many seconds. */
    SESSION_TOUCH_INTERVAL_SECONDS: int(0, DAY).default(60),
    /** Sessions one user may hold; logging in beyond it ends the one closest to expiry. */
    SESSION_MAX_PER_USER: int(1, 10_000).default(100),
    /** Failed logins for one email from one client address within the window before further attempts from there get 429. */
    LOGIN_MAX_FAILURES: int(1, 1000).default(5),
    /**
     * Failed logins for one email from all addresses within the window before attempts get 429,
     * except from an address that logged in to the account before (so guessing spread over many
     * addresses cannot lock the owner out where they log in).
     */
    LOGIN_MAX_FAILURES_PER_EMAIL: int(1, 100_000).default(100),
    /** Failed logins from one client address within the window before further attempts get 429. */
    LOGIN_MAX_FAILURES_PER_IP: int(1, 100_000).default(50),
    /** Length of the failed-login window, from the first failure. */
    LOGIN_FAILURE_WINDOW_SECONDS: int(1, DAY).default(900),
    /**
     * Once half an address' failure budget is used, each attempt waits this long first; an email's
     * failures from all addresses past one address' budget double it per further budget.
     */
    LOGIN_SLOWDOWN_MS: int(0, 10_000).default(500),
    /** The longest an attempt waits before its password is checked. */
    LOGIN_MAX_SLOWDOWN_MS: int(0, 60_000).default(8000),
    /** Origins besides the API's own host that may send cookie-authenticated unsafe requests. */
    CSRF_ALLOWED_ORIGINS: originList.default([]),
    /**
     * Key of the HMAC-SHA256 that turns an anonymous visitor's address and user agent into the
     * element counted in a post's HyperLogLog (the address itself never reaches Redis). Required in
     * production: every instance must hash a visitor alike, or each would count them again. Unset
     * elsewhere: a random key per process (a restart then counts that day's anonymous visitors anew).
     */
    ANALYTICS_VISITOR_SECRET: z.string().min(32, { error: 'expected at least 32 characters' }).optional(),
    /** A stream entry delivered to a consumer and not acknowledged for this long is claimed by another (XAUTOCLAIM). */
    ANALYTICS_CLAIM_MIN_IDLE_MS: int(10, DAY * 1000).default(60_000),
    /** Stream entries the analytics worker reads (or claims) per call. */
    ANALYTICS_STREAM_BATCH: int(1, 1000).default(100),
    /** How long a post's 7-day unique-visitor count is cached (a String beside the daily HyperLogLogs). */
    ANALYTICS_WEEK_CACHE_SECONDS: int(1, 3600).default(60),
    /** Lifetime of a cached post and of a cached list page; each entry gets ±10% jitter so they do not expire together. */
    POST_CACHE_TTL_SECONDS: int(1, 7 * DAY).default(3600),
    /** Lifetime of the "no such post" entry for an id that does not exist. */
    POST_NEGATIVE_CACHE_TTL_SECONDS: int(1, 3600).default(30),
    /** A cache lookup that takes longer is abandoned and the read is served from SQL (a frozen Redis must not stall reads). */
    POST_CACHE_TIMEOUT_MS: int(5, 10_000).default(200),
    /** How long a request waits for another instance filling the same entry before it reads SQL itself. */
    POST_FILL_WAIT_MS: int(10, 10_000).default(1000),
    /** Views counted in Redis are added to the SQL totals this often (and at shutdown). */
    VIEW_FLUSH_INTERVAL_MS: int(100, 3_600_000).default(5000),
    /** A view waits in the process at most this long before it is sent to Redis (sooner with the next read). */
    VIEW_BUFFER_MS: int(0, 5000).default(50),
    /** A trending window's merged buckets (and the top-authors merge) are reused for this long before merging again. */
    TRENDING_CACHE_SECONDS: int(1, 3600).default(5),
    /** How often each instance compares every trending window's top 10 with the last one announced (`trending.changed`). */
    TRENDING_ANNOUNCE_MS: int(100, 3_600_000).default(5000),
  })
  .superRefine((c, ctx) => {
    // On a cluster the first `{...}` of a key picks its slot: braces in the prefix would override
    // every key's own hash tag (keys.ts), putting the whole keyspace in one slot.
    if (c.REDIS_CLUSTER_NODES && /[{}]/.test(c.REDIS_KEY_PREFIX)) {
      ctx.addIssue({ code: 'custom', path: ['REDIS_KEY_PREFIX'], message: 'expected no { or } with REDIS_CLUSTER_NODES (the keys carry their own hash tags)' });
    }
    // A touch interval as long as the idle timeout would let active sessions expire between writes.
    if (c.SESSION_TOUCH_INTERVAL_SECONDS >= c.SESSION_TTL_SECONDS) {
      ctx.addIssue({
        code: 'custom',
        path: ['SESSION_TOUCH_INTERVAL_SECONDS'],
        message: `expected fewer seconds than SESSION_TTL_SECONDS (${c.SESSION_TTL_SECONDS})`,
      });
    }
    // The per-email ceiling is for guessing spread over addresses: below one address' budget it would be the tight limit again.
    if (c.LOGIN_MAX_FAILURES_PER_EMAIL < c.LOGIN_MAX_FAILURES) {
      ctx.addIssue({
        code: 'custom',
        path: ['LOGIN_MAX_FAILURES_PER_EMAIL'],
        message: `expected at least LOGIN_MAX_FAILURES (${c.LOGIN_MAX_FAILURES})`,
      });
    }
    if (c.NODE_ENV === 'production' && c.ANALYTICS_VISITOR_SECRET === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['ANALYTICS_VISITOR_SECRET'],
        message: 'required in production (at least 32 characters, e.g. `openssl rand -hex 32`), the same on every instance',
      });
    }
    // An open /metrics tells anyone the routes, their traffic and errors, and the process' memory:
    // production refuses to start until the operator picks a token or says open on purpose.
    if (c.NODE_ENV === 'production' && c.METRICS_TOKEN === undefined && !c.METRICS_PUBLIC) {
      ctx.addIssue({
        code: 'custom',
        path: ['METRICS_TOKEN'],
        message: 'required in production (at least 16 characters, e.g. `openssl rand -hex 16`), or set METRICS_PUBLIC=true to serve /metrics without one',
      });
    }
    if (c.METRICS_TOKEN !== undefined && c.METRICS_PUBLIC) {
      ctx.addIssue({ code: 'custom', path: ['METRICS_PUBLIC'], message: 'contradicts METRICS_TOKEN: set one of them' });
    }
  })
  .transform((c) => ({
    ...c,
    SEED_DEMO: c.SEED_DEMO ?? c.NODE_ENV !== 'production',
    ANALYTICS_VISITOR_SECRET: c.ANALYTICS_VISITOR_SECRET ?? randomBytes(32).toString('base64url'),
  }));

export type Config = z.output<typeof configSchema>;
export type ConfigInput = z.input<typeof configSchema>;

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/**
 * Variables no longer read, with what to do instead: set, they stop start-up, so an operator who
 * relied on one learns that it does nothing now rather than finding out later.
 */
const removedVariables = new Map([
  [
    'ADMIN_EMAILS',
    'no longer read: registering a listed address made its registrant admin. Grant the role to an existing account with `npm run admin -- grant <email>` (docs/security.md)',
  ],
]);

/**
 * Parses the environment. Empty strings count as unset, so `PORT= npm start` uses the default.
 * Throws a ConfigError whose message is one line naming the first bad variable.
 */
export function loadConfig(env: Record<string, string | undefined>): Config {
  for (const [name, instead] of removedVariables) {
    if (Object.hasOwn(env, name) && env[name] !== undefined && env[name] !== '') {
      throw new ConfigError(`Invalid environment variable ${name}: ${instead}`);
    }
  }
  const known = Object.keys(configSchema.in.shape);
  const input: Record<string, string> = {};
  for (const name of known) {
    const value = env[name];
    if (value !== undefined && value !== '') input[name] = value;
  }
  const parsed = configSchema.safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const name = issue?.path[0] ?? 'environment';
    // URLs may carry passwords, and tokens and secrets are secrets: never echo them.
    const value = typeof name === 'string' && !/(_URL|_TOKEN|_SECRET)$/.test(name) ? input[name] : undefined;
    const shown = value === undefined ? '' : ` (got "${value}")`;
    throw new ConfigError(`Invalid environment variable ${String(name)}: ${issue?.message ?? 'invalid'}${shown}`);
  }
  return parsed.data;
}
