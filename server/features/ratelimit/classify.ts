import { rateLimitGroups, type RateLimitGroup } from '../../config.ts';

/** What the classifier needs of a request. */
export interface RequestLine {
  method: string;
  /** The path as Hono routes it (percent-decoded the way its router decodes). */
  path: string;
  /** The raw URL, for tRPC's own reading of its path and `?batch=1`. */
  url: string;
}

/** The budget a request spends: `cost` units of its group's policy. */
export interface Charge {
  group: RateLimitGroup;
  cost: number;
  /** A tRPC request: a refusal must be rendered in tRPC's error format. */
  trpc: boolean;
}

export interface ClassifierOptions {
  /** Where the tRPC router is mounted. @default '/trpc' */
  trpcEndpoint?: string;
  /** Batches with more calls spend nothing: the tRPC handler refuses them (400) before any work. */
  maxBatch: number;
}

/**
 * Probes and scrapes must keep answering under any load: they spend no budget. Only these REST
 * paths: the tRPC `health` procedure is a read like any other, or one batch of 50 calls would be
 * 50 free Redis and SQL pings.
 */
const exemptPaths = new Set(['/health', '/metrics']);

/**
 * Routes with a policy of their own; every other route is `read` (GET, HEAD) or `write`. Maps,
 * never plain objects: the keys come from the request, and `toString` or `constructor` would find
 * Object.prototype's members (a function as the group skipped the limiter).
 */
const restGroups: ReadonlyMap<string, RateLimitGroup> = new Map([
  ['POST /auth/login', 'login'],
  ['POST /auth/register', 'register'],
]);
const procedureGroups: ReadonlyMap<string, RateLimitGroup> = new Map([
  ['auth.login', 'login'],
  ['auth.register', 'register'],
]);

const strictness = (g: RateLimitGroup) => rateLimitGroups.indexOf(g);

/**
 * Builds the function that maps a request to the policy it spends and its cost, or null when it
 * spends nothing. REST: by method and path; unknown paths count too (a 404 still costs the
 * server). tRPC: by procedure path and type (GET = query or subscription, POST = mutation), one
 * unit per call in a batch, so batching cannot stretch a budget. A batch that mixes groups is
 * charged in full to its strictest group, so no call gets through on a looser budget.
 */
export function createClassifier({ trpcEndpoint = '/trpc', maxBatch }: ClassifierOptions) {
  if (!Number.isSafeInteger(maxBatch) || maxBatch < 1) throw new Error('createClassifier: maxBatch must be an integer >= 1');
  const trpcPrefix = trpcEndpoint.replace(/\/+$/, '') + '/';

  function classifyTrpc(method: string, url: string): Charge | null {
    const { pathname, searchParams } = new URL(url);
    // Read the calls exactly as tRPC's fetch adapter will: strip the endpoint, trim one slash at
    // each end, decodeURIComponent (so `%2C` separates calls too), split on commas for `?batch=1`.
    const raw = pathname.slice(trpcPrefix.length - 1).replace(/^\/|\/$/g, '');
    let path: string;
    try {
      path = decodeURIComponent(raw);
    } catch {
      path = raw; // tRPC answers 400 without running anything; still one request's worth
    }
    const calls = searchParams.get('batch') === '1' ? path.split(',') : [path];
    if (calls.length > maxBatch) return null;
    let group: RateLimitGroup = method === 'POST' ? 'write' : 'read';
    for (const call of calls) {
      const own = procedureGroups.get(call);
      if (own !== undefined && strictness(own) < strictness(group)) group = own;
    }
    return { group, cost: calls.length, trpc: true };
  }

  return function classify({ method, path, url }: RequestLine): Charge | null {
    // CORS preflights do no work and are answered before any route.
    if (method === 'OPTIONS') return null;
    if (path.startsWith(trpcPrefix)) return classifyTrpc(method, url);
    if (exemptPaths.has(path)) return null;
    const group = restGroups.get(`${method} ${path}`) ?? (method === 'GET' || method === 'HEAD' ? 'read' : 'write');
    return { group, cost: 1, trpc: false };
  };
}

export type Classifier = ReturnType<typeof createClassifier>;
