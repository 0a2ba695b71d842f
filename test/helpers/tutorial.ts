import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { expect } from 'vitest';

// The tutorial's curl sequence for posts, verbatim but for the port and the token it tells the
// reader to paste ("abc123..."): log in, create with Bearer, list, get, trending, views.
const tutorial = {
  login: `curl -X POST http://localhost:3000/auth/login \\
-H "Content-Type: application/json" \\
-d '{"email":"user@example.com","password":"password123"}'`,
  create: `curl -X POST http://localhost:3000/posts \\
-H "Content-Type: application/json" \\
-H "Authorization: Bearer abc123..." \\
-d '{"title":"Redis Guide","content":"Learn Redis..."}'`,
  list: 'curl http://localhost:3000/posts',
  get: 'curl http://localhost:3000/posts/1',
  trending: 'curl http://localhost:3000/posts/trending',
  views: 'curl http://localhost:3000/posts/1/views',
};

// Asynchronous: the in-process server answers on this same event loop.
export const sh = async (script: string) => (await promisify(execFile)('bash', ['-c', script], { encoding: 'utf8', timeout: 10_000 })).stdout;

/** Runs the sequence against a server on `port` and checks every answer. */
export async function runTutorial(port: number) {
  const run = async (cmd: string, token = '') =>
    JSON.parse(await sh(cmd.replaceAll('localhost:3000', `localhost:${port}`).replace('abc123...', token))) as unknown;

  const login = (await run(tutorial.login)) as { sessionId: string; user: { id: number } };
  expect(login.user).toEqual({ id: 1, email: 'user@example.com' });

  const post = (await run(tutorial.create, login.sessionId)) as { id: number };
  expect(post).toEqual({
    id: 1,
    authorId: 1,
    title: 'Redis Guide',
    content: 'Learn Redis...',
    tags: [],
    location: null,
    createdAt: expect.any(String),
    updatedAt: expect.any(String),
  });

  expect(await run(tutorial.list)).toEqual({ source: 'database', data: [post], page: 1, limit: 20, total: 1 });
  expect(await run(tutorial.list)).toEqual({ source: 'cache', data: [post], page: 1, limit: 20, total: 1 });
  expect(await run(tutorial.get)).toEqual({ source: 'database', data: post });
  expect(await run(tutorial.trending)).toEqual([post]);
  expect(await run(tutorial.views)).toEqual({ postId: 1, views: 1 });
  expect(await run(tutorial.get)).toEqual({ source: 'cache', data: post });
  expect(await run(tutorial.views)).toEqual({ postId: 1, views: 2 });
}

