import type { Context, MiddlewareHandler } from 'hono';
import type { Clock } from '../clock.ts';
import type { AppEnv, PreflightResult } from '../http-env.ts';
import { AppError } from '../errors.ts';
import type { AuthSession, Credential, PresentedCredential, TokenSource } from '../identity.ts';
import { clearedSessionCookie, readSessionCookie } from '../features/auth/session-cookie.ts';
import type { SessionStore } from '../features/auth/session.store.ts';
import { parseSessionToken } from '../features/auth/session-token.ts';
import type { Charge, RequestLine } from '../features/ratelimit/classify.ts';
import type { Limiter, RateLimitResult } from '../features/ratelimit/limiter.ts';
import type { Logger } from '../logger.ts';
import { memoize } from '../memo.ts';
import type { Preflight, PreflightEntry, PreflightReply } from '../redis/preflight.ts';
import { sameOrigin } from '../transport/origin.ts';

/** Keys a route wants read before it runs (e.g. a post's cache entry), and whatever it needs to use them. */
export interface RegisteredRead {
  keys: readonly string[];
  owner: unknown;
}

/** A route's claim on requests: the read it wants for this one, or undefined. */
export type ReadRegistration = (req: RequestLine) => RegisteredRead | undefined;

/** The result before (or without) a preflight: operational routes, 404s. */
export const anonymous: PreflightResult = Object.freeze({ session: null, credential: null, read: undefined, refusal: undefined });

export interface RateLimitOptions<G extends string> {
  /** One limiter per group the classifier can name. */
  limiters: Readonly<Record<G, Limiter>>;
  /** Which group's budget a request spends and how many units; null spends nothing. */
  classify: (req: RequestLine) => (Charge & { group: G }) | null;
  /** Only turns the reset delay into the absolute time of `X-RateLimit-Reset`; decisions use Redis' clock. */
  clock: Clock;
}

export interface PreflightOptions<G extends string> {
  preflight: Preflight;
  sessions: Pick<SessionStore, 'part' | 'found'>;
  /** Whether the cookie cleared for a dead session carries `Secure` (outside development). */
  secureCookie: boolean;
  /** Origins besides the request's own origin allowed to send cookie-authenticated unsafe requests. */
  allowedOrigins?: readonly string[];
  /** Proxies in front (TRUST_PROXY): with any, the request's own scheme is X-Forwarded-Proto's (origin.ts). */
  trustedProxies?: number;
  /** Rate limiting, or false for none. */
  rateLimit: RateLimitOptions<G> | false;
  /** The routes' reads; the first that claims a request is sent. */
  reads?: readonly ReadRegistration[];
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** A presented token's parse (a SHA-256) is remembered: the same token comes back request after request. */
const parseToken = memoize(parseSessionToken);

/**
 * The one step before the routes: reads the credential once, then sends what the request needs
 * of Redis as one entry of the preflight script (server/redis/preflight.ts): the session lookup
 * and touch, the rate-limit decision for whoever that lookup finds (the user, else the address),
 * and the read a route registered. Sets `c.var.preflight`.
 *
 * It refuses only for the rate limit (429, or 503 when a fail-closed policy cannot decide); what
 * needs a session throws `noSessionError(credential)` itself, so a dead cookie or a Redis outage
 * never breaks public reads. CSRF: an unsafe method authenticated only by the `sid` cookie must
 * carry an Origin (else a Referer) of this origin (scheme, host and port) or of `allowedOrigins`;
 * otherwise the cookie grants nothing (`cross-site`) and Redis is not asked for it. Bearer
 * requests are exempt.
 */
export function preflight<G extends string>(opts: PreflightOptions<G>): MiddlewareHandler<AppEnv> {
  if (typeof opts?.preflight?.run !== 'function') throw new Error('preflight: `preflight` is required');
  if (typeof opts.sessions?.part !== 'function') throw new Error('preflight: `sessions` is required');
  const { sessions, secureCookie, rateLimit, reads = [] } = opts;
  const allowedOrigins = new Set(opts.allowedOrigins ?? []);
  const trustedProxies = opts.trustedProxies ?? 0;
  const policies = new Map<string, string>();
  if (rateLimit) {
    if (Object.keys(rateLimit.limiters).length === 0) throw new Error('preflight: rate limiting needs at least one policy');
    for (const limiter of Object.values<Limiter>(rateLimit.limiters)) policies.set(limiter.policy.name, policyHeader(limiter));
  }

  return async function preflight(c, next) {
    const line = new HonoRequestLine(c);
    const presented = readPresented(c, allowedOrigins, trustedProxies);
    const token = presented && !presented.crossSite ? presented.token : null;
    const user = token ? `user:${token.userId}` : undefined;
    const headers = c.get('headers');

    const charge = rateLimit ? rateLimit.classify(line) : null;
    const limiter = rateLimit && charge ? rateLimit.limiters[charge.group] : undefined;
    const address = `ip:${c.get('clientIp')}`;
    if (charge && limiter && charge.cost > limiter.capacity) {
      const { limit, windowMs } = limiter.policy.windows.find((w) => w.limit === limiter.capacity)!;
      const message = `This batch of ${charge.cost} calls can never fit the ${limiter.policy.name} limit of ${limit} per ${windowMs / 1000} s: send fewer calls per batch`;
      return refuse(c, next, charge, new AppError('BAD_REQUEST', message));
    }
    // Without a session to look up, a refusal held in process answers without Redis.
    const held = charge && limiter && !token ? limiter.held(address, charge.cost) : undefined;

    let read: RegisteredRead | undefined;
    for (const claim of reads) if ((read = claim(line))) break;

    const entry: PreflightEntry = {
      session: token ? sessions.part(token) : undefined,
      limit: charge && limiter && !held ? limiter.part(charge.cost, address, user) : undefined,
      reads: read?.keys,
    };
    const sentAt = limiter?.now() ?? 0;
    let reply: PreflightReply | null = null;
    let failure: unknown;
    if (entry.session || entry.limit || entry.reads) {
      try {
        reply = await opts.preflight.run(entry);
      } catch (err) {
        failure = err;
      }
    }

    const session = token && reply ? sessions.found(reply.session, token) : null;
    const credential = presented && credentialOf(presented, session, reply !== null);
    if (credential?.problem === 'unavailable') {
      c.get('log').warn('session not resolved: session store unavailable', { err: failure });
    }
    // A dead cookie would be sent forever; tell the browser to drop it.
    if (credential?.problem === 'unknown' && credential.source === 'sid') headers['set-cookie'] = clearedSessionCookie(secureCookie);
    const result: PreflightResult = {
      session,
      credential,
      read: read && { owner: read.owner, values: reply?.reads ?? null },
      refusal: c.get('preflight').refusal, // the body limit's, for tRPC
    };
    c.set('preflight', result);
    if (!charge || !limiter || !rateLimit) return next();

    const decided =
      held ??
      limiter.settle(reply?.decision ?? null, reply?.decision?.[4] === 1 && user ? user : address, charge.cost, sentAt, failure);
    if (decided.reason === 'redis-unavailable') {
      if (decided.allowed) return next();
      return refuse(c, next, charge, new AppError('SERVICE_UNAVAILABLE', 'Rate limiting is unavailable; try again shortly'));
    }
    setRateLimitHeaders(headers, decided, policies.get(decided.policy)!, rateLimit.clock.now());
    if (!decided.allowed) {
      const retryAfter = Math.ceil(decided.retryAfterMs / 1000);
      const { windowMs } = limiter.policy.windows[decided.window]!;
      const message = `Too many requests: the ${decided.policy} limit is ${decided.limit} per ${windowMs / 1000} s; retry in ${retryAfter} s`;
      return refuse(c, next, charge, new AppError('TOO_MANY_REQUESTS', message, { retryAfter }));
    }
    return next();
  };
}

/**
 * The request as the classifier and the registered reads see it. A class: an object literal with
 * a getter costs about 2 µs to build on Node 20.
 */
class HonoRequestLine implements RequestLine {
  readonly method: string;
  readonly path: string;
  constructor(private readonly c: Context<AppEnv>) {
    this.method = c.req.method;
    this.path = c.req.path;
  }
  /** Built only when a classifier or a registration asks (tRPC). */
  get url(): string {
    return this.c.req.url;
  }
}

/** `100;w=60` per window, as the IETF RateLimit header draft writes a policy. */
function policyHeader(limiter: Limiter): string {
  return limiter.policy.windows.map((w) => `${w.limit};w=${w.windowMs / 1000}`).join(', ');
}

function setRateLimitHeaders(headers: Record<string, string>, result: RateLimitResult, policy: string, nowMs: number): void {
  const limit = String(result.limit);
  const remaining = String(result.remaining);
  headers['ratelimit-policy'] = policy;
  headers['ratelimit-limit'] = limit;
  headers['ratelimit-remaining'] = remaining;
  headers['ratelimit-reset'] = String(Math.ceil(result.resetMs / 1000));
  // The tutorial's headers, with its units: X-RateLimit-Reset is an absolute time in epoch ms.
  headers['x-ratelimit-limit'] = limit;
  headers['x-ratelimit-remaining'] = remaining;
  headers['x-ratelimit-reset'] = String(nowMs + result.resetMs);
}

/**
 * REST: the error handler renders the thrown AppError (429 with Retry-After). tRPC: the handler
 * raises the refusal from its createContext, so every call of the batch fails in tRPC's format.
 */
function refuse(c: Context<AppEnv>, next: () => Promise<void>, charge: Charge, error: AppError): Promise<void> {
  if (!charge.trpc) throw error;
  c.set('preflight', { ...c.get('preflight'), refusal: error });
  if (error.retryAfter !== undefined) c.get('headers')['retry-after'] = String(error.retryAfter);
  return next();
}

/**
 * A raw token resolved on its own, outside a request's preflight: tRPC subscriptions over SSE
 * send theirs as connectionParams, which only the tRPC handler reads. Never throws: a failure is
 * the credential's `problem`.
 */
export async function authenticate(
  store: Pick<SessionStore, 'resolve'>,
  raw: string,
  source: TokenSource,
  log?: Logger,
): Promise<{ session: AuthSession | null; credential: Credential }> {
  const presented = { source, token: parseSessionToken(raw), crossSite: false };
  if (!presented.token) return { session: null, credential: credentialOf(presented, null, false) };
  try {
    const session = await store.resolve(presented.token);
    return { session, credential: credentialOf(presented, session, true) };
  } catch (err) {
    log?.warn('session not resolved: session store unavailable', { err });
    return { session: null, credential: credentialOf(presented, null, false) };
  }
}

function credentialOf({ source, token, crossSite }: PresentedCredential, session: AuthSession | null, answered: boolean): Credential {
  if (!token) return { source, token, problem: 'malformed' };
  if (crossSite) return { source, token, problem: 'cross-site' };
  if (!answered) return { source, token, problem: 'unavailable' };
  return { source, token, problem: session ? null : 'unknown' };
}

/** The token a request presents, parsed (hashed), and whether it is a cookie on a cross-site unsafe request. */
function readPresented(c: Context<AppEnv>, allowedOrigins: ReadonlySet<string>, trustedProxies: number): PresentedCredential | null {
  const found = readToken(c);
  return (
    found && {
      source: found.source,
      token: parseToken(found.token),
      crossSite: found.source === 'sid' && !SAFE_METHODS.has(c.req.method) && !sameOrigin(c, allowedOrigins, trustedProxies),
    }
  );
}

/** The Bearer header when there is an Authorization header at all, else the `sid` cookie. */
function readToken(c: Context<AppEnv>): { token: string; source: TokenSource } | null {
  const header = c.req.header('authorization');
  if (header !== undefined) {
    // Anything but `Bearer <token>` still counts as presented, so it is reported as malformed.
    const match = /^Bearer[ ]+(\S+)[ ]*$/i.exec(header);
    return { token: match?.[1] ?? '', source: 'authorization' };
  }
  const cookie = readSessionCookie(c);
  return cookie ? { token: cookie, source: 'sid' } : null;
}
