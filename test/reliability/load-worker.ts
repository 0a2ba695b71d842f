/**
 * Bounded mixed load against the API instances, run as its own process by `startLoad()` (load.ts):
 * `node --import tsx test/reliability/load-worker.ts <config.json> <result.json>`.
 * Stops at `maxOps`, at `maxSeconds` or at SIGTERM, whichever comes first, lets the requests in
 * flight finish (each is bounded by `requestTimeoutMs`), then writes the LoadResult and exits 0.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { errorResponseSchema } from '../../shared/errors.ts';
import { loadKinds, type LoadConfig, type LoadKind, type LoadResult } from './load.ts';

const [configPath, resultPath] = process.argv.slice(2);
if (!configPath || !resultPath) throw new Error('usage: load-worker.ts <config.json> <result.json>');
const config = JSON.parse(readFileSync(configPath, 'utf8')) as LoadConfig;

const result: LoadResult = { ops: 0, seconds: 0, counts: {}, createdPostIds: [], viewsMade: {}, badErrorShape: 0, errors: [] };
const started = performance.now();
const deadline = started + config.maxSeconds * 1000;
let stopping = false;
process.once('SIGTERM', () => (stopping = true));

const weights = loadKinds.map((kind) => [kind, config.mix[kind] ?? 0] as const).filter(([, w]) => w > 0);
const totalWeight = weights.reduce((sum, [, w]) => sum + w, 0);
function pickKind(): LoadKind {
  let r = Math.random() * totalWeight;
  for (const [kind, w] of weights) if ((r -= w) < 0) return kind;
  return weights[0]![0];
}

function note(kind: LoadKind, target: string, status: string): void {
  const byTarget = (result.counts[kind] ??= {});
  const byStatus = (byTarget[target] ??= {});
  byStatus[status] = (byStatus[status] ?? 0) + 1;
}

function remember(message: string): void {
  if (result.errors.length < 20) result.errors.push(message);
}

const auth = { authorization: `Bearer ${config.token}` };
const json = { 'content-type': 'application/json' };

function request(kind: LoadKind, target: string, n: number): { path: string; init: RequestInit } {
  switch (kind) {
    case 'read': {
      const ids = config.readPostIds[target] ?? [];
      return { path: `/posts/${ids[n % ids.length]}`, init: {} };
    }
    case 'list':
      return { path: '/posts?limit=5', init: {} };
    case 'write':
      return {
        path: '/posts',
        init: { method: 'POST', headers: { ...auth, ...json }, body: JSON.stringify({ title: `load ${n}`, content: `written under load, op ${n}`, tags: ['load'] }) },
      };
    case 'login':
      return { path: '/auth/login', init: { method: 'POST', headers: json, body: JSON.stringify(config.login) } };
    case 'me':
      return { path: '/auth/me', init: { headers: auth } };
  }
}

async function one(n: number): Promise<void> {
  const kind = pickKind();
  const target = pickTarget(n);
  const { path, init } = request(kind, target, n);
  let res: Response;
  let body: unknown;
  try {
    res = await fetch(target + path, { ...init, signal: AbortSignal.timeout(config.requestTimeoutMs) });
    body = await res.json().catch(() => undefined);
  } catch (err) {
    const timedOut = err instanceof Error && (err.name === 'TimeoutError' || err.name === 'AbortError');
    note(kind, target, timedOut ? 'timeout' : 'network');
    if (!timedOut) downUntil.set(target, performance.now() + 1000);
    if (timedOut) remember(`${kind} ${target}${path}: no answer within ${config.requestTimeoutMs} ms`);
    return;
  }
  note(kind, target, String(res.status));
  if (res.status >= 400 && !errorResponseSchema.safeParse(body).success) {
    result.badErrorShape++;
    remember(`${kind} ${target}${path}: ${res.status} without the error shape: ${JSON.stringify(body)?.slice(0, 200)}`);
  }
  if (kind === 'write' && res.status === 201) result.createdPostIds.push((body as { id: number }).id);
  if (kind === 'read' && res.status === 200) {
    const id = path.slice('/posts/'.length);
    result.viewsMade[id] = (result.viewsMade[id] ?? 0) + 1;
  }
}

/**
 * A target that refused a connection (a killed instance) is skipped for a second, as a load
 * balancer would take it out of rotation; its requests go to the others meanwhile.
 */
const downUntil = new Map<string, number>();
function pickTarget(n: number): string {
  const now = performance.now();
  for (let i = 0; i < config.targets.length; i++) {
    const target = config.targets[(n + i) % config.targets.length]!;
    if ((downUntil.get(target) ?? 0) <= now) return target;
  }
  return config.targets[n % config.targets.length]!;
}

let next = 0;
async function loop(): Promise<void> {
  while (!stopping && next < config.maxOps && performance.now() < deadline) {
    const n = next++;
    await one(n);
    result.ops++;
  }
}

process.stdout.write('load: sending\n');
await Promise.all(Array.from({ length: config.concurrency }, loop));
result.seconds = (performance.now() - started) / 1000;
writeFileSync(resultPath, JSON.stringify(result));
