// One server of the `overhead` bench (bench/scenarios/overhead.ts): GET /posts/:id answering the
// same ~280-byte cached-post JSON body, built from the REAL per-request middleware of the product
// (requestContext with its request metrics, the json() header-bag response), with pieces switched off by
// OVERHEAD_VARIANT. Served by @hono/node-server on 127.0.0.1:PORT; the access log goes to stdout
// through the product's own stdoutSink (the bench sends stdout to a file, as a deployment would).
//
//   bare           new Hono().get('/posts/:id', c => c.json(body)): no product code at all
//   all            requestContext (LOG_LEVEL info: one access line per request, request metrics)
//                  + the route answering json(c, body) (the header bag)
//   no-access-log  as all, LOG_LEVEL=warn: the access line is not built nor written
//   no-metrics     as all, without the request metrics
//   no-header-bag  as all, but the route replaces the bag with an empty object before json(), so the response carries only content-type (+ Node's own date,
//                  content-length, connection, keep-alive): the 12 secure headers and X-Request-Id
//                  are not written. requestContext still builds the bag.
//   plain-json     as all, the route answering c.json(body): the bag reaches the response through
//                  addRequestHeaders' fallback (a Headers object, one set() per header)
//   caller-id      as all; the bench sends X-Request-Id, so requestContext checks it (one regex)
//                  instead of calling randomUUID(). The id, its child logger and the header can't be
//                  switched off in the product: the access line and X-Request-Id need them.
import { serve } from '@hono/node-server';
import { getConnInfo } from '@hono/node-server/conninfo';
import { Hono } from 'hono';
import type { AddressInfo } from 'node:net';
import type { AppEnv } from '../../server/http-env.ts';
import { createLogger, type LogLevel } from '../../server/logger.ts';
import { createMetrics } from '../../server/metrics/metrics.ts';
import { requestContext } from '../../server/middleware/request-context.ts';
import { requestObserver } from '../../server/middleware/request-metrics.ts';
import { json } from '../../server/transport/response.ts';
import { overheadVariants, type OverheadVariant } from './overhead-variants.ts';


/** A cached post as GET /posts/:id answers it: about 280 bytes of JSON. */
export const cachedPostBody = {
  source: 'cache',
  data: {
    id: 42,
    authorId: 7,
    title: 'Redis Guide',
    slug: 'redis-guide',
    content: 'Learn Redis: strings, hashes, sorted sets, streams and Lua scripts.',
    tags: ['redis', 'caching'],
    views: 1234,
    createdAt: '2026-12-01T10:00:00.000Z',
    updatedAt: '2026-12-01T10:00:00.000Z',
  },
};

function buildApp(variant: OverheadVariant) {
  if (variant === 'bare') {
    const app = new Hono();
    app.get('/posts/:id', (c) => c.json(cachedPostBody));
    return app;
  }
  const level: LogLevel = variant === 'no-access-log' ? 'warn' : 'info';
  const logger = createLogger(level);
  const app = new Hono<AppEnv>();
  // As server/main.node.ts passes it.
  app.use(
    requestContext({
      logger,
      clientAddress: (c) => getConnInfo(c).remote.address,
      observe: variant === 'no-metrics' ? undefined : requestObserver(createMetrics()),
    }),
  );
  if (variant === 'plain-json') app.get('/posts/:id', (c) => c.json(cachedPostBody));
  else if (variant === 'no-header-bag') {
    app.get('/posts/:id', (c) => {
      c.set('headers', {});
      return json(c, cachedPostBody);
    });
  } else app.get('/posts/:id', (c) => json(c, cachedPostBody));
  return app;
}

const variant = process.env.OVERHEAD_VARIANT as OverheadVariant;
if (!overheadVariants.includes(variant)) throw new Error(`overhead-server: OVERHEAD_VARIANT must be one of ${overheadVariants.join(', ')} (got ${variant})`);
const app = buildApp(variant);
serve({ fetch: app.fetch, port: Number(process.env.PORT), hostname: '127.0.0.1' }, (info: AddressInfo) =>
  process.stderr.write(`overhead-server ${variant} on ${info.port}\n`),
);
process.on('SIGTERM', () => process.exit(0));
