import type { PostPrefetch, PostsService } from './posts.service.ts';

/** `/posts/<id>` with a well-formed id; anything else is left to the route (which answers 400 or 404). */
const postPath = /^\/posts\/([1-9][0-9]{0,9})$/;

/**
 * The posts feature's claim on the request preflight (server/middleware/preflight.ts): for
 * `GET /posts/:id` and a lone tRPC `posts.get` query, the post's cache entry is read in the
 * request's one Redis call, beside the session and the rate-limit decision. The route passes
 * what was read to `posts.get`; a refused request simply drops it. Only reads: the view is
 * counted when the post is served.
 */
export function postReads(posts: Pick<PostsService, 'prefetch'>, trpcEndpoint = '/trpc') {
  if (typeof posts?.prefetch !== 'function') throw new Error('postReads: a posts service with prefetch() is required');
  const trpcPath = `${trpcEndpoint}/posts.get`;
  const claim = (prefetch: PostPrefetch | undefined) => prefetch && { keys: prefetch.keys, owner: prefetch };

  return function postReads(req: { method: string; path: string; url: string }): { keys: readonly string[]; owner: PostPrefetch } | undefined {
    if (req.method !== 'GET') return undefined;
    const match = postPath.exec(req.path);
    if (match) return claim(posts.prefetch(Number(match[1])));
    if (req.path === trpcPath) {
      const id = trpcInputId(new URL(req.url).searchParams);
      return id === undefined ? undefined : claim(posts.prefetch(id));
    }
    return undefined;
  };
}

/** The id of a lone `posts.get` call's JSON input (`?input={"id":7}`, or batched as `{"0":{"id":7}}`). */
function trpcInputId(params: URLSearchParams): number | undefined {
  const raw = params.get('input');
  if (raw === null) return undefined;
  try {
    const input = JSON.parse(raw) as unknown;
    const call = params.get('batch') === '1' ? (input as Record<string, unknown> | null)?.['0'] : input;
    const id = (call as { id?: unknown } | null)?.id;
    return Number.isSafeInteger(id) && (id as number) > 0 ? (id as number) : undefined;
  } catch {
    return undefined;
  }
}
