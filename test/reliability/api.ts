import { loginResultSchema } from '../../shared/auth.ts';
import { postSchema } from '../../shared/posts.ts';
import { waitFor, type WaitOptions } from '../helpers/wait.ts';

/** Small HTTP helpers over real sockets to the instances (the load itself runs in load-worker.ts). */

export interface Answer {
  status: number;
  body: unknown;
}

export async function call(base: string, method: string, path: string, body?: unknown, token?: string): Promise<Answer> {
  const headers: Record<string, string> = {};
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (token) headers.authorization = `Bearer ${token}`;
  const res = await fetch(base + path, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(10_000),
  });
  return { status: res.status, body: await res.json().catch(() => undefined) };
}

export const PASSWORD = 'reliability-password';

/** Registers `email` and logs in: the session token. */
export async function signUp(base: string, email: string): Promise<string> {
  const registered = await call(base, 'POST', '/auth/register', { email, password: PASSWORD });
  if (registered.status !== 201 && registered.status !== 200) throw new Error(`register ${email}: ${registered.status} ${JSON.stringify(registered.body)}`);
  return logIn(base, email);
}

export async function logIn(base: string, email: string): Promise<string> {
  const res = await call(base, 'POST', '/auth/login', { email, password: PASSWORD });
  if (res.status !== 200) throw new Error(`login ${email}: ${res.status} ${JSON.stringify(res.body)}`);
  return loginResultSchema.parse(res.body).sessionId;
}

export async function createPost(base: string, token: string, title: string, content = 'reliability'): Promise<number> {
  const res = await call(base, 'POST', '/posts', { title, content }, token);
  if (res.status !== 201) throw new Error(`create post: ${res.status} ${JSON.stringify(res.body)}`);
  return postSchema.parse(res.body).id;
}

/** The /health status of an instance, or `unreachable`. */
export async function health(base: string): Promise<string> {
  try {
    const res = await call(base, 'GET', '/health');
    return (res.body as { status?: string } | undefined)?.status ?? `http ${res.status}`;
  } catch {
    return 'unreachable';
  }
}

/** Waits as `waitFor` does; resolves with the milliseconds it took (the figures report them). */
export async function timedWait(condition: () => unknown, options: WaitOptions): Promise<number> {
  const started = performance.now();
  await waitFor(condition, options);
  return Math.round(performance.now() - started);
}
