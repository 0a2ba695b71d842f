// A consumer of the packed SDK, compiled by its own stock tsconfigs (../tsconfig.*.json) and run
// against a live server by test/package/consumer.test.ts. Only the package's public entries.
import type { inferRouterInputs, inferRouterOutputs } from '@trpc/server';
import { apiError, createClient, createSessionClient, type AppRouter, type Post } from 'redis-blog-api/client';
import { createPostInputSchema } from 'redis-blog-api/schemas';

type Inputs = inferRouterInputs<AppRouter>;
type Outputs = inferRouterOutputs<AppRouter>;

export interface Outcome {
  registered: string;
  loggedIn: string;
  me: string;
  created: Post;
  fetchedTitle: Outputs['posts']['get']['data']['title'];
  missing: string | null;
  formAccepts: boolean;
  afterLogout: string | null;
}

/** Wrong calls that must stay compile errors: if the router's type went missing (any), these lines would compile and the `@ts-expect-error`s fail. */
export function wrongCalls(api: ReturnType<typeof createClient>): void {
  // @ts-expect-error: no such procedure
  void api.posts.nope;
  // @ts-expect-error: a title is a string
  void api.posts.create.mutate({ title: 1, content: 'text' });
  // @ts-expect-error: login takes credentials
  void api.auth.login.mutate({ user: 'someone' });
  // @ts-expect-error: a post's title is not a number
  const title: number = ({} as Outputs['posts']['get']).data.title;
  void title;
}

export async function run(url: string, email: string): Promise<Outcome> {
  const password = 'consumer password 1';
  const anon = createClient({ url });
  const credentials: Inputs['auth']['login'] = { email, password };
  const { user } = await anon.auth.register.mutate(credentials);

  const session = createSessionClient({ url });
  const login = await session.login(credentials);
  const me = await session.api.auth.me.query();
  const created = await session.api.posts.create.mutate({ title: 'From the tarball', content: 'A post sent by the packed SDK.' });
  const fetched = await anon.posts.get.query({ id: created.id });
  const missing = await anon.posts.get.query({ id: 2_000_000_000 }).then(
    () => null,
    (err: unknown) => apiError(err)?.code ?? 'not an API error',
  );
  await session.logout();
  const afterLogout = await createClient({ url, token: login.sessionId }).auth.me.query().then(
    () => null,
    (err: unknown) => apiError(err)?.code ?? 'not an API error',
  );
  return {
    registered: user.email,
    loggedIn: login.user.email,
    me: me.user.email,
    created,
    fetchedTitle: fetched.data.title,
    missing,
    formAccepts: createPostInputSchema.safeParse({ title: '', content: '' }).success,
    afterLogout,
  };
}
