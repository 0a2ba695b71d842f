import type { Context, MiddlewareHandler, Next } from 'hono';
import type { Clock } from '../clock.ts';
import type { AppEnv } from '../context.ts';
import { AppError } from '../errors.ts';
import type { Charge, RequestLine } from '../features/ratelimit/ratelimit.classify.ts';
import type { Limiter, RateLimitResult } from '../features/ratelimit/ratelimit.limiter.ts';

export interface RateLimitOptions<G extends string> {
  /** One limiter per group the classifier can name. */
  limiters: Readonly<Record<G, Limiter>>;
  /** Which group's budget a request spends and how many units; null spends nothing. */
  classify: (req: RequestLine) => (Charge & { group: G }) | null;
  /**
   * Whose budget it is.
   * @default the session's user (`user:<id>`) when there is one, else the client address (`ip:<addr>`)
   */
  identify?: (c: Context<AppEnv>) => string;
  /** Only turns the reset delay into the absolute time of `X-RateLimit-Reset`; decisions use Redis' clock. */
  clock: Clock;
  /**
   * What `identify` will answer, told before the middleware it depends on (the session) has run;
   * undefined when it cannot be told yet. Used by `rateLimitAhead` only.
   */
  anticipate?: (c: Context<AppEnv>) => string | undefined;
}

/** A decision `rateLimitAhead` sent for the identity it anticipated; `rateLimit` takes it when it agrees. */
export interface RateLimitAhead {
  identity: string;
  decision: Promise<RateLimitResult>;
}

/** The session's user when authenticated, else the client address (see request-context for proxies). */
export function sessionOrAddress(c: Context<AppEnv>): string {
  const session = c.get('session');
  return session ? `user:${session.userId}` : `ip:${c.get('clientIp')}`;
}

/**
 * `sessionOrAddress` before the session is resolved, from who the session middleware is expected
 * to find (`expectedCaller` in session.ts): no credential, the address; a token seen live, its user.
 */
export function anticipateSessionOrAddress(expectedCaller: (c: Context<AppEnv>) => number | null | undefined): (c: Context<AppEnv>) => string | undefined {
  return (c) => {
    const userId = expectedCaller(c);
    if (userId === undefined) return undefined;
    return userId === null ? `ip:${c.get('clientIp')}` : `user:${userId}`;
  };
}

/** `100;w=60` per window, as the IETF RateLimit header draft writes a policy. */
function policyHeader(limiter: Limiter): string {
  return limiter.policy.windows.map((w) => `${w.limit};w=${w.windowMs / 1000}`).join(', ');
}

function headersFor(result: RateLimitResult, policy: string, nowMs: number): [string, string][] {
  const limit = String(result.limit);
  const remaining = String(result.remaining);
  return [
    ['RateLimit-Policy', policy],
    ['RateLimit-Limit', limit],
    ['RateLimit-Remaining', remaining],
    ['RateLimit-Reset', String(Math.ceil(result.resetMs / 1000))],
    // The tutorial's headers, with its units: X-RateLimit-Reset is an absolute time in epoch ms.
    ['X-RateLimit-Limit', limit],
    ['X-RateLimit-Remaining', remaining],
    ['X-RateLimit-Reset', String(nowMs + result.resetMs)],
  ];
}

/** Adds headers to the response the route produced. */
function addHeaders(c: Context<AppEnv>, headers: [string, string][]): void {
  // Responses built here (c.json, tRPC's) have mutable headers; c.header() would instead copy the
  // whole Response once per header. A Response with immutable headers is copied once.
  try {
    for (const [name, value] of headers) c.res.headers.set(name, value);
  } catch {
    const copy = new Response(c.res.body, c.res);
    for (const [name, value] of headers) copy.headers.set(name, value);
    c.res = copy;
  }
}

/**
 * Refuses a request before any route runs. REST: the error handler renders the thrown AppError
 * (429 with Retry-After in the error shape). tRPC: the tRPC handler raises `refusal` from its
 * createContext, so every call of the batch fails in tRPC's own format and the typed client sees
 * the code and `retryAfter`.
 */
async function refuse(c: Context<AppEnv>, next: Next, charge: Charge, error: AppError, headers: [string, string][]): Promise<void> {
  if (!charge.trpc) {
    for (const [name, value] of headers) c.header(name, value);
    throw error;
  }
  c.set('refusal', error);
  await next();
  if (error.retryAfter !== undefined) headers.push(['Retry-After', String(error.retryAfter)]);
  addHeaders(c, headers);
}

/**
 * Sliding-window rate limiting for REST and tRPC: each request spends units of one policy's budget
 * for its identity, decided in one Redis round trip. Every limited response carries the
 * RateLimit-* and X-RateLimit-* headers; a refusal is 429 with Retry-After. When Redis does not
 * answer within the limiter's timeout, the policy fails open (no headers) or closed (503).
 * @example
 * app.use(rateLimit({ limiters: services.rateLimit.limiters, classify: createClassifier({ maxBatch: 50 }), clock }));
 */
export function rateLimit<G extends string>(options: RateLimitOptions<G>): MiddlewareHandler<AppEnv> {
  const { limiters, classify, identify = sessionOrAddress, clock } = checked(options);
  const groups = Object.keys(limiters) as G[];
  const policies = Object.fromEntries(groups.map((g) => [g, policyHeader(limiters[g])])) as Record<G, string>;

  return async function rateLimit(c, next) {
    const charge = classify({ method: c.req.method, path: c.req.path, url: c.req.url });
    if (!charge) return next();
    const limiter = limiters[charge.group];
    if (charge.cost > limiter.capacity) {
      const { limit, windowMs } = limiter.policy.windows.find((w) => w.limit === limiter.capacity)!;
      const message = `This batch of ${charge.cost} calls can never fit the ${limiter.policy.name} limit of ${limit} per ${windowMs / 1000} s: send fewer calls per batch`;
      return refuse(c, next, charge, new AppError('BAD_REQUEST', message), []);
    }

    const identity = identify(c);
    const ahead = c.get('rateLimitAhead');
    // The decision sent ahead counts only for the identity it was sent for. Should the session
    // have ended since this instance last saw it, that user has spent a unit for this request
    // (bounded: the lookup that finds it ended makes the instance forget the token), and the
    // request is decided again for the address it really comes from.
    const result = await (ahead?.identity === identity ? ahead.decision : limiter.limit(identity, charge.cost));
    if (result.reason === 'redis-unavailable') {
      if (result.allowed) return next();
      return refuse(c, next, charge, new AppError('SERVICE_UNAVAILABLE', 'Rate limiting is unavailable; try again shortly'), []);
    }
    const headers = headersFor(result, policies[charge.group], clock.now());
    if (!result.allowed) {
      const retryAfter = Math.ceil(result.retryAfterMs / 1000);
      const { windowMs } = limiter.policy.windows[result.window]!;
      const message = `Too many requests: the ${result.policy} limit is ${result.limit} per ${windowMs / 1000} s; retry in ${retryAfter} s`;
      return refuse(c, next, charge, new AppError('TOO_MANY_REQUESTS', message, { retryAfter }), headers);
    }
    await next();
    addHeaders(c, headers);
  };
}

/**
 * Sends the decision `rateLimit` will need before the session is resolved, for the identity
 * `anticipate` expects, so that it leaves in the same Redis write as the session lookup: a
 * cached authenticated read then costs one round trip instead of two. Mounted before the session
 * middleware, with the same options as the `rateLimit` mounted after it, which takes the
 * decision when the identity it finds is the one anticipated, and decides anew otherwise.
 * Requests whose identity cannot be told yet (a token this instance has not seen live) are left
 * to `rateLimit` alone.
 * @example
 * const options = { limiters, classify, clock, anticipate: anticipateSessionOrAddress(expectedCaller(sessionOptions)) };
 * app.use(rateLimitAhead(options)); app.use(session(sessionOptions)); app.use(rateLimit(options));
 */
export function rateLimitAhead<G extends string>(options: RateLimitOptions<G>): MiddlewareHandler<AppEnv> {
  const { limiters, classify, anticipate } = checked(options);
  if (typeof anticipate !== 'function') throw new Error('rateLimitAhead: `anticipate` is required');

  return async function rateLimitAhead(c, next) {
    const charge = classify({ method: c.req.method, path: c.req.path, url: c.req.url });
    const identity = charge && charge.cost <= limiters[charge.group].capacity ? anticipate(c) : undefined;
    if (charge && identity !== undefined) c.set('rateLimitAhead', { identity, decision: limiters[charge.group].limit(identity, charge.cost) });
    return next();
  };
}

function checked<G extends string>(options: RateLimitOptions<G>): RateLimitOptions<G> {
  if (Object.keys(options?.limiters ?? {}).length === 0) throw new Error('rateLimit: `limiters` needs at least one policy');
  if (typeof options.classify !== 'function') throw new Error('rateLimit: `classify` is required');
  if (typeof options.clock?.now !== 'function') throw new Error('rateLimit: `clock` is required');
  return options;
}
