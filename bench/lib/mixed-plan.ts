/** The request kinds of the mixed scenario, and their share of the requests (out of 100). */
export const MIX = {
  'GET /posts/:id': 60,
  'GET /posts': 10,
  'POST /posts': 8,
  'POST /auth/login': 2,
  'GET /posts/trending': 10,
  'GET /geo/nearby': 10,
} as const;
export type MixedKind = keyof typeof MIX;

/** What the load process needs: where to send, as whom, which posts exist. */
export interface MixedPlan {
  url: string;
  /** Session tokens of the seeded users; request i uses token i mod n. */
  tokens: string[];
  /** Credentials for the login requests. */
  logins: { email: string; password: string }[];
  postIds: number[];
  requests: number;
  concurrency: number;
  maxSeconds: number;
}

/** Kind of request i: a fixed cycle of 100 through MIX, so every run has the same mix. */
const cycle: MixedKind[] = (Object.entries(MIX) as [MixedKind, number][]).flatMap(([kind, n]) => Array<MixedKind>(n).fill(kind));
// Interleave the kinds instead of running them in blocks of the same kind.
const order = cycle.map((_, i) => cycle[(i * 37) % cycle.length]!);

/** The i-th request of a plan: deterministic, so runs and the sequential round-trip count see the same traffic. */
export function mixedRequest(plan: MixedPlan, i: number): { kind: MixedKind; url: string; init?: RequestInit } {
  const kind = order[i % order.length]!;
  const token = plan.tokens[i % plan.tokens.length]!;
  const auth = { authorization: `Bearer ${token}` };
  const json = { 'content-type': 'application/json' };
  const postId = plan.postIds[(i * 7919) % plan.postIds.length]!;
  switch (kind) {
    case 'GET /posts/:id':
      // Half the readers are signed in.
      return { kind, url: `${plan.url}/posts/${postId}`, init: i % 2 ? { headers: auth } : undefined };
    case 'GET /posts':
      return { kind, url: `${plan.url}/posts?page=${1 + (i % 5)}&limit=10` };
    case 'POST /posts':
      return {
        kind,
        url: `${plan.url}/posts`,
        init: { method: 'POST', headers: { ...json, ...auth }, body: JSON.stringify({ title: `Mixed ${i}`, content: 'Written under load. '.repeat(20), tags: ['bench'] }) },
      };
    case 'POST /auth/login': {
      const login = plan.logins[i % plan.logins.length]!;
      return { kind, url: `${plan.url}/auth/login`, init: { method: 'POST', headers: json, body: JSON.stringify(login) } };
    }
    case 'GET /posts/trending':
      return { kind, url: `${plan.url}/posts/trending` };
    case 'GET /geo/nearby':
      return { kind, url: `${plan.url}/geo/nearby?longitude=${13 + (i % 5) / 10}&latitude=38.1&radius=50&unit=km` };
  }
}
