// The overhead variants' JS cost in one process (`npx tsx bench/lib/overhead-inprocess.ts`): app.fetch in a loop with the
// real middleware, no sockets, no stdout writes (the logger's sink only counts); CPU time per request,
// median of 5 rounds. What the socket bench (scenarios/overhead.ts) measures on top is the system's part.
import '@hono/node-server';
import { Hono } from 'hono';
import { getConnInfo } from '@hono/node-server/conninfo';
import { createLogger } from '../../server/logger.ts';
import { createMetrics } from '../../server/metrics/metrics.ts';
import { requestContext } from '../../server/middleware/request-context.ts';
import { requestObserver } from '../../server/middleware/request-metrics.ts';
import { json } from '../../server/transport/response.ts';
import type { AppEnv } from '../../server/http-env.ts';
const body = { source: 'cache', data: { id: 42, authorId: 7, title: 'Redis Guide', slug: 'redis-guide', content: 'Learn Redis: strings, hashes, sorted sets, streams and Lua scripts.', tags: ['redis', 'caching'], views: 1234, createdAt: '2026-12-01T10:00:00.000Z', updatedAt: '2026-12-01T10:00:00.000Z' } };
let lines = 0;
const sink = (l: string) => { lines += l.length; };
function build(v: string) {
  if (v === 'bare') return new Hono().get('/posts/:id', (c) => c.json(body));
  const app = new Hono<AppEnv>();
  const observe = v === 'no-metrics' ? undefined : requestObserver(createMetrics());
  app.use(requestContext({ logger: createLogger(v === 'no-access-log' ? 'warn' : 'info', sink), clientAddress: (c) => getConnInfo(c).remote.address, observe }));
  app.get('/posts/:id', v === 'no-header-bag' ? (c) => { c.set('headers', {}); return json(c, body); } : (c) => json(c, body));
  return app;
}
const env = { incoming: { socket: { remoteAddress: '127.0.0.1', remotePort: 5555, remoteFamily: 'IPv4' } } };
const variants = ['bare', 'all', 'no-access-log', 'no-metrics', 'no-header-bag'];
const apps = Object.fromEntries(variants.map((v) => [v, build(v)]));
const req = new Request('http://127.0.0.1/posts/42');
const results: Record<string, number[]> = Object.fromEntries(variants.map((v) => [v, []]));
const N = 100_000;
for (let round = 0; round < 7; round++) {
  for (const v of variants) {
    const app = apps[v]!;
    const t0 = process.cpuUsage();
    for (let i = 0; i < N; i++) {
      const res = await app.fetch(req, env);
      // What the Node adapter reads of it.
      void res.status;
    }
    const t = process.cpuUsage(t0);
    if (round > 1) results[v]!.push((t.user + t.system) / N);
  }
}
const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
for (const v of variants) console.log(v.padEnd(14), med(results[v]!).toFixed(2), 'µs CPU/request (in-process, median of 5)', v === 'bare' ? '' : `vs bare ${(med(results[v]!) - med(results.bare!)).toFixed(2)}`);
