import fc from 'fast-check';
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listen } from '../helpers/server.ts';
import { invalidUtf8Sequences } from './inputs.ts';
import { restTargets, trpcTargets } from './targets.ts';
import { createFuzzWorld, fuzzRuns, fuzzSeed, fuzzTimeoutMs, restErrorSchema, trpcErrorAnswerSchema, type FuzzWorld } from './world.ts';

/**
 * Invalid UTF-8 as raw bytes on the wire, where app.request cannot put them (a Request's URL and
 * headers are strings): in the request line's path and query, in header values and in the body,
 * over a real socket to the app served by Node's HTTP server. Properties: no 5xx; an answer from
 * the app is in its error shape (Node's own parser may refuse the request line first, with a bare
 * 400 and no app involved); a refused request (400, 401, 405, 413, 415) writes nothing; the
 * server still answers /health.
 */

let world: FuzzWorld;
let server: { url: string; close(): Promise<void> };
let port: number;
beforeAll(async () => {
  world = await createFuzzWorld();
  server = await listen(world.t.app);
  port = Number(new URL(server.url).port);
});
afterAll(async () => {
  await server?.close();
  await world?.close();
});

interface RawAnswer {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** Sends bytes as one HTTP/1.1 request on a fresh connection and reads the answer until the server closes it. */
function send(request: Buffer): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    // Written, not ended: the answer's Connection: close ends the exchange (a half-close may be taken as an abort).
    const socket = connect(port, '127.0.0.1', () => socket.write(request));
    const chunks: Buffer[] = [];
    socket.setTimeout(10_000, () => socket.destroy(new Error('no answer within 10 s')));
    socket.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      // A live event stream never ends by itself: its headers are the answer.
      if (/\r\ncontent-type: text\/event-stream[^]*\r\n\r\n/i.test(Buffer.concat(chunks).toString('latin1'))) socket.destroy();
    });
    socket.on('error', reject);
    socket.on('close', () => {
      const raw = Buffer.concat(chunks).toString('latin1');
      const [head = '', ...rest] = raw.split('\r\n\r\n');
      const [statusLine = '', ...headerLines] = head.split('\r\n');
      const headers = Object.fromEntries(headerLines.map((l) => [l.slice(0, l.indexOf(':')).toLowerCase(), l.slice(l.indexOf(':') + 1).trim()]));
      let body = Buffer.from(rest.join('\r\n\r\n'), 'latin1').toString('utf8');
      // Chunked bodies: keep the JSON between the chunk sizes.
      if (headers['transfer-encoding'] === 'chunked') body = body.replace(/^[0-9a-f]+\r\n|\r\n[0-9a-f]+\r\n/gi, '').replace(/\r\n0\r\n$|\r\n$/g, '');
      resolve({ status: Number(statusLine.split(' ')[1]), headers, body });
    });
  });
}

type Where = 'path' | 'query' | 'header' | 'body';

/**
 * Statuses that refuse the request itself (its input, method, size, type or credential). A 404 or
 * 409 answers a well-formed request and may write (a missing post's id is cached as missing).
 */
const refusals = new Set([400, 401, 405, 413, 415]);

/** One request line + headers + body, with `bad` spliced in raw at `where`. */
function rawRequest(method: string, path: string, where: Where, bad: Buffer, auth: string | null): Buffer {
  const ascii = (s: string) => Buffer.from(s, 'latin1');
  const target = where === 'path' ? Buffer.concat([ascii(path.replace(/:\w+/g, '1')), bad]) : ascii(path.replace(/:\w+/g, '1'));
  const query = where === 'query' ? Buffer.concat([ascii('?input='), bad, ascii('&page='), bad, ascii('&q='), bad]) : ascii('');
  const body = where === 'body' ? Buffer.concat([ascii('{"email":"'), bad, ascii('","title":"'), bad, ascii('","content":"x","id":1}')]) : ascii('');
  const headers = [
    `Host: 127.0.0.1:${port}`,
    'Connection: close',
    ...(method !== 'GET' ? ['Content-Type: application/json', `Content-Length: ${body.length}`] : []),
  ].map(ascii);
  if (where === 'header') headers.push(Buffer.concat([ascii('Last-Event-ID: 1-'), bad]), Buffer.concat([ascii('X-Request-Id: r-'), bad]));
  if (auth) headers.push(ascii(`Authorization: ${auth}`));
  else if (where === 'header') headers.push(Buffer.concat([ascii('Authorization: Bearer '), bad]), Buffer.concat([ascii('Cookie: sid='), bad]));
  const lines = [Buffer.concat([ascii(`${method} `), target, query, ascii(' HTTP/1.1')]), ...headers];
  return Buffer.concat([...lines.flatMap((l) => [l, ascii('\r\n')]), ascii('\r\n'), method !== 'GET' ? body : ascii('')]);
}

const endpoints = [
  ...restTargets().map((t) => ({ name: t.name, method: t.method as string, path: t.path, trpc: false })),
  ...trpcTargets().map((t) => ({ name: `tRPC ${t.name}`, method: t.type === 'mutation' ? 'POST' : 'GET', path: `/trpc/${t.name}`, trpc: true })),
];

describe('invalid UTF-8 bytes over real HTTP', () => {
  it.each(['anonymous', 'session'] as const)('every route and procedure, %s caller', async (caller) => {
    const parserRefusals: Record<Where, number> = { path: 0, query: 0, header: 0, body: 0 };
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...endpoints),
        fc.constantFrom<Where>('path', 'query', 'header', 'body'),
        fc.array(fc.constantFrom(...invalidUtf8Sequences), { minLength: 1, maxLength: 3 }).map((seqs) => Buffer.from(seqs.flat())),
        async (endpoint, where, bad) => {
          const auth = caller === 'session' ? (await world.sessionHeaders()).authorization! : null;
          const before = await world.snapshot();
          const answer = await send(rawRequest(endpoint.method, endpoint.path, where, bad, auth));
          const context = `${endpoint.name}, bad bytes ${bad.toString('hex')} in the ${where} -> ${answer.status} ${answer.body.slice(0, 300)}`;
          expect(answer.status, context).toBeGreaterThanOrEqual(200);
          expect(answer.status, context).toBeLessThan(500);
          // Node's parser answers a request line it cannot read itself: 400, no body, no request id.
          if (answer.status === 400 && !answer.headers['x-request-id']) {
            parserRefusals[where]++;
            return;
          }
          if (answer.status >= 400) {
            expect(answer.headers['content-type'], context).toMatch(/^application\/json/);
            const schema = endpoint.trpc ? trpcErrorAnswerSchema : restErrorSchema;
            expect(schema.safeParse(JSON.parse(answer.body)).success, context).toBe(true);
          }
          // Anything else: bad bytes where the route does not look (a header it ignores), an ordinary request.
          await world.afterRequest(refusals.has(answer.status) ? before : undefined, caller, context);
        },
      ),
      { numRuns: fuzzRuns * 2, seed: fuzzSeed },
    );
    const health = await fetch(`${server.url}/health`);
    expect(health.status).toBe(200);
    console.log(`raw HTTP ${caller}: ${fuzzRuns * 2} requests; refused by Node's HTTP parser before the app: ${JSON.stringify(parserRefusals)}`);
  }, fuzzTimeoutMs);
});
