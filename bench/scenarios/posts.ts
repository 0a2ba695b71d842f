import { intFlag, loadFlag, type LoadFlags } from '../lib/cli.ts';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join, resolve } from 'node:path';
import { freePort } from '../../server/redis/local-server.ts';
import { honoHello, seedNest } from '../lib/anchors.ts';
import { buildServer, productionNodeArgs } from '../lib/api-process.ts';
import { runCannon, type CannonResult } from '../lib/autocannon.ts';
import { benchRedis } from '../lib/env.ts';
import { round } from '../lib/load.ts';
import { rssMb, rssTrend } from '../lib/memory.ts';
import { CLK_TCK, cpuMicros, machineMicros } from '../lib/proc.ts';
import { commandProbe, type CommandCounts } from '../lib/redis-stats.ts';
import { startServer, type ServerProcess } from '../lib/server-process.ts';
import type { BenchScenario } from '../lib/scenario.ts';

/**
 * `npm run bench -- posts [options]`: a cached `GET /posts/:id` of the product, served by the real
 * server process (on Node the compiled one, as the Dockerfile's CMD runs it; on Bun `server/main.bun.ts`,
 * production mode, request log on,
 * rate limiting on but never refusing), against the tutorial's design (anchors/seed-nest) and a bare
 * Hono route answering the same bytes (anchors/hono-hello), each server in a process of its own, the
 * load from autocannon in another, the servers measured alternately in rounds.
 *
 * Options (all optional):
 *   --runtimes node20,node24,bun   runtimes of the product and of its bare mirror (default: all three)
 *   --variant name=K=V[,K=V...]    an extra product process with this env on top (repeatable;
 *                                  default: access-log-off=LOG_LEVEL=warn); `--variant none` for none
 *   --variants-on node20|all       runtimes where the extra variants run (default: node20)
 *   --rounds 4 --seconds 5 --warmup 1 --connections 50 --pipelining 1 --workers 0
 * The tutorial's design runs in the first runtime's phase (it is a Node app: its ratio belongs there).
 */

const REPO_ROOT = resolve(import.meta.dirname, '..', '..');
const DEMO_LOGIN = { email: 'user@example.com', password: 'password123' };
const VISITOR_SECRET = 'bench-visitor-secret-of-32-characters';

/**
 * The product's environment: production, request log on, rate limiting on with a budget the load
 * never exhausts, the embedded PGlite in `dataDir` (the default store, as `npm start` runs it).
 */
export const productEnv = (port: number, redisUrl: string, dataDir: string): Record<string, string> => ({
  PORT: String(port),
  HOST: '127.0.0.1',
  REDIS_URL: redisUrl,
  DATA_DIR: dataDir,
  NODE_ENV: 'production',
  LOG_LEVEL: 'info',
  SEED_DEMO: 'true',
  RATE_LIMIT_ENABLED: 'true',
  RATE_LIMIT_MAX: '100000',
  RATE_LIMIT_WINDOW_SECONDS: '1',
  ANALYTICS_VISITOR_SECRET: VISITOR_SECRET,
  METRICS_PUBLIC: 'true',
});

type RuntimeName = 'node20' | 'node24' | 'bun';
interface Runtime {
  name: RuntimeName;
  version: string;
  /** The product server: command and arguments, run in the repository root. */
  product: { command: string; args: string[] };
  /** The bare mirror: command and arguments, run in the hono-hello copy. */
  mirror: { command: string; args: string[] };
}

function runtime(name: RuntimeName): Runtime {
  const version = (bin: string) => execFileSync(bin, ['--version'], { encoding: 'utf8' }).trim();
  switch (name) {
    case 'node20': {
      const node = process.execPath;
      return { name, version: `node ${version(node)}`, product: { command: node, args: productionNodeArgs() }, mirror: { command: node, args: ['mirror.mjs'] } };
    }
    case 'node24': {
      const node = join(REPO_ROOT, 'node_modules', 'node24', 'bin', 'node');
      return { name, version: `node ${version(node)}`, product: { command: node, args: productionNodeArgs() }, mirror: { command: node, args: ['mirror.mjs'] } };
    }
    case 'bun': {
      const bun = join(REPO_ROOT, 'node_modules', '.bin', 'bun');
      return { name, version: `bun ${version(bun)}`, product: { command: bun, args: ['server/main.bun.ts'] }, mirror: { command: bun, args: ['mirror-bun.mjs'] } };
    }
  }
}

interface Options extends LoadFlags {
  runtimes: RuntimeName[];
  variants: { name: string; env: Record<string, string> }[];
  variantsOn: RuntimeName[] | 'all';
  pipelining: number;
  workers: number;
}

export function parseOptions(args: string[]): Options {
  const opts: Options = { runtimes: ['node20', 'node24', 'bun'], variants: [], variantsOn: ['node20'], rounds: 4, seconds: 5, warmup: 1, connections: 50, pipelining: 1, workers: 0 };
  let variantsGiven = false;
  const num = (flag: string, v: string | undefined, min: number, max: number) => intFlag('posts', flag, v, min, max);
  const runtimeList = (v: string | undefined) =>
    (v ?? '').split(',').map((r) => {
      if (r !== 'node20' && r !== 'node24' && r !== 'bun') throw new Error(`bench posts: unknown runtime "${r}" (node20, node24, bun)`);
      return r as RuntimeName;
    });
  for (let i = 0; i < args.length; i++) {
    const [flag, inline] = args[i]!.split(/=(.*)/s, 2) as [string, string | undefined];
    const value = () => inline ?? args[++i];
    switch (flag) {
      case '--runtimes':
        opts.runtimes = runtimeList(value());
        break;
      case '--variants-on': {
        const v = value();
        opts.variantsOn = v === 'all' ? 'all' : runtimeList(v);
        break;
      }
      case '--variant': {
        variantsGiven = true;
        const v = value() ?? '';
        if (v === 'none') break;
        const m = /^([A-Za-z0-9_.-]+)=([A-Z0-9_]+=[^,]*(,[A-Z0-9_]+=[^,]*)*)$/.exec(v);
        if (!m || m[1] === 'default') throw new Error(`bench posts: --variant expects name=KEY=VALUE[,KEY=VALUE...] (got "${v}")`);
        opts.variants.push({ name: m[1]!, env: Object.fromEntries(m[2]!.split(',').map((kv) => kv.split(/=(.*)/s, 2) as [string, string])) });
        break;
      }
      case '--pipelining':
        opts.pipelining = num(flag, value(), 1, 100);
        break;
      case '--workers':
        opts.workers = num(flag, value(), 0, 8);
        break;
      default:
        if (!loadFlag('posts', opts, flag, value)) throw new Error(`bench posts: unknown option ${args[i]}`);
    }
  }
  if (!variantsGiven) opts.variants.push({ name: 'access-log-off', env: { LOG_LEVEL: 'warn' } });
  return opts;
}

/** A redis-server of one server under test: its pid (for CPU) and a commandstats probe. */
interface RedisSide {
  url: string;
  port: number;
  pid: number;
  probe: Awaited<ReturnType<typeof commandProbe>>;
  close(): Promise<void>;
}

async function privateRedis(): Promise<RedisSide> {
  const redis = await benchRedis();
  const probe = await commandProbe(redis.url);
  return {
    url: redis.url,
    port: redis.port,
    pid: redis.pid,
    probe,
    close: async () => {
      probe.close();
      await redis.close();
    },
  };
}

/** One measured thing: a server, a URL and headers. Product authenticated and anonymous are two slots on one server. */
interface Slot {
  id: string;
  runtime: RuntimeName;
  kind: 'bare' | 'tutorial' | 'product';
  variant?: string;
  caller?: 'authenticated' | 'anonymous';
  /** How the product is asked: REST `GET /posts/:id`, or tRPC's `GET /trpc/posts.get?input=...`. */
  transport?: 'rest' | 'trpc';
  server: ServerProcess;
  redis?: RedisSide;
  url: string;
  headers: Record<string, string>;
}

interface Run extends CannonResult {
  serverCpuUsPerRequest: number;
  redisCpuUsPerRequest: number | null;
  commandsPerRequest: number | null;
  scriptCallsPerRequest: number | null;
  logBytesPerRequest: number;
  /** Cores busy on the whole machine during the run (server, redis, autocannon, anything else). */
  machineBusyCores: number;
}

/** Logs in as the demo user, writes a post, reads it twice so that it is cached; the cached read's exact bytes. */
export async function seedProduct(url: string): Promise<{ token: string; path: string; body: Buffer; anonymousBodySame: boolean }> {
  const login = await fetch(`${url}/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(DEMO_LOGIN) });
  if (login.status !== 200) throw new Error(`bench posts: login answered ${login.status}: ${await login.text()}`);
  const { sessionId } = (await login.json()) as { sessionId: string };
  const auth = { authorization: `Bearer ${sessionId}` };
  const created = await fetch(`${url}/posts`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...auth },
    body: JSON.stringify({ title: 'Redis Guide', content: 'Learn Redis... '.repeat(40), tags: ['redis', 'caching'] }),
  });
  if (created.status !== 201) throw new Error(`bench posts: create answered ${created.status}: ${await created.text()}`);
  const { id } = (await created.json()) as { id: number };
  const path = `/posts/${id}`;
  await fetch(`${url}${path}`, { headers: auth }).then((r) => r.arrayBuffer());
  const cached = await fetch(`${url}${path}`, { headers: auth });
  const body = Buffer.from(await cached.arrayBuffer());
  if (cached.status !== 200 || (JSON.parse(body.toString()) as { source?: string }).source !== 'cache') {
    throw new Error(`bench posts: GET ${path} is not served from the cache (${cached.status}): ${body.toString().slice(0, 200)}`);
  }
  const anonymous = Buffer.from(await (await fetch(`${url}${path}`)).arrayBuffer());
  return { token: sessionId, path, body, anonymousBodySame: anonymous.equals(body) };
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  if (s.length === 0) return 0;
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
};
const medianOf = (runs: Run[], key: keyof Run) => {
  const xs = runs.map((r) => r[key]).filter((x): x is number => typeof x === 'number');
  return xs.length ? median(xs) : null;
};

export const postsScenario: BenchScenario = {
  name: 'posts',
  async run(ctx) {
    const opts = parseOptions(ctx.args ?? []);
    // Node runs the compiled server as the Dockerfile's CMD does; Bun runs the TypeScript.
    if (opts.runtimes.some((r) => r !== 'bun')) buildServer();
    const cannon = { connections: opts.connections, pipelining: opts.pipelining, workers: opts.workers };
    const tmp = mkdtempSync(join(os.tmpdir(), 'blog-bench-posts-'));
    const started = Date.now();
    process.stdout.write('\n  preparing anchors (cached under the OS temp dir) ... ');
    const helloDir = honoHello();
    const nestDir = seedNest();
    console.log('ok');

    /** One autocannon run against a slot, with the CPU of its server process and redis-server and the commands Redis ran. */
    const measure = async (slot: Slot, seconds: number): Promise<Run> => {
      const cpu0 = cpuMicros(slot.server.pid);
      const redisCpu0 = slot.redis ? cpuMicros(slot.redis.pid) : 0;
      const cmds0: CommandCounts | undefined = slot.redis ? await slot.redis.probe.read() : undefined;
      const log0 = slot.server.stdoutBytes();
      const machine0 = machineMicros();
      const wall0 = performance.now();
      const r = await runCannon({ ...cannon, url: slot.url, headers: slot.headers, seconds, maxRequests: seconds * 200_000 });
      const cpu = cpuMicros(slot.server.pid) - cpu0;
      const machine = machineMicros();
      const wallUs = (performance.now() - wall0) * 1000;
      const redisCpu = slot.redis ? cpuMicros(slot.redis.pid) - redisCpu0 : 0;
      const cmds = slot.redis && cmds0 ? await slot.redis.probe.since(cmds0) : undefined;
      const per = (x: number, digits: number) => round(x / Math.max(1, r.requests), digits);
      return {
        ...r,
        serverCpuUsPerRequest: per(cpu, 1),
        redisCpuUsPerRequest: slot.redis ? per(redisCpu, 1) : null,
        commandsPerRequest: cmds ? per(cmds.all, 3) : null,
        scriptCallsPerRequest: cmds ? per(cmds.scripts, 3) : null,
        logBytesPerRequest: per(slot.server.stdoutBytes() - log0, 1),
        machineBusyCores: round((machine.busy - machine0.busy) / wallUs, 2),
      };
    };

    const phases: Record<string, unknown>[] = [];
    const tableRows: string[][] = [];
    const ratios: Record<string, number> = {};
    let bareMax = 0;
    let generatorCeilingRps = 0;
    try {
      for (const [phaseIndex, rtName] of opts.runtimes.entries()) {
        const rt = runtime(rtName);
        const stops: (() => Promise<void>)[] = [];
        const logDir = join(tmp, rtName);
        execFileSync('mkdir', ['-p', logDir]);
        try {
          process.stdout.write(`  ${rt.version}: starting servers ... `);
          const slots: Slot[] = [];
          const variants = [{ name: 'default', env: {} as Record<string, string> }, ...(opts.variantsOn === 'all' || opts.variantsOn.includes(rtName) ? opts.variants : [])];
          // The product processes (one per variant) and the tutorial start side by side: start-up
          // (tsx, PGlite migrations, the demo user's password hash) takes seconds each.
          const startProduct = async (v: (typeof variants)[number]) => {
            const redis = await privateRedis();
            stops.push(redis.close);
            const port = await freePort();
            const server = await startServer({
              name: `product-${v.name}`,
              command: rt.product.command,
              args: rt.product.args,
              cwd: REPO_ROOT,
              env: { ...productEnv(port, redis.url, join(logDir, `data-${v.name}`)), ...v.env },
              port,
              logDir,
              readyPath: '/health',
            });
            stops.unshift(server.stop);
            const seeded = await seedProduct(server.url);
            return { variant: v.name, server, redis, rssIdleMb: rssMb(server.pid), ...seeded };
          };
          const startTutorial = async () => {
            const redis = await privateRedis();
            stops.push(redis.close);
            const port = await freePort();
            const nest = await startServer({
              name: 'tutorial',
              command: process.execPath,
              args: ['dist/main.js'],
              cwd: nestDir,
              env: { PORT: String(port), REDIS_HOST: '127.0.0.1', REDIS_PORT: String(redis.port), MAX_REQUESTS: '1e12' },
              port,
              logDir,
            });
            stops.unshift(nest.stop);
            for (let i = 0; i < 2; i++) {
              const res = await fetch(`${nest.url}/posts/1`);
              await res.arrayBuffer();
              if (res.status !== 200) throw new Error(`bench posts: tutorial GET /posts/1 answered ${res.status}`);
            }
            return { nest, redis };
          };
          const [tutorial, ...products] = await Promise.all([phaseIndex === 0 ? startTutorial() : undefined, ...variants.map(startProduct)]);
          const body = products[0]!.body;
          const bodyFile = join(logDir, 'body.json');
          writeFileSync(bodyFile, body);
          const barePort = await freePort();
          const bare = await startServer({ name: 'bare', command: rt.mirror.command, args: rt.mirror.args, cwd: helloDir, env: { PORT: String(barePort), BODY_FILE: bodyFile }, port: barePort, logDir });
          stops.unshift(bare.stop);
          const path = products[0]!.path;
          slots.push({ id: 'bare', runtime: rtName, kind: 'bare', server: bare, url: `${bare.url}${path}`, headers: {} });
          const productSlot = (p: NonNullable<(typeof products)[number]>, caller: 'authenticated' | 'anonymous', transport: 'rest' | 'trpc' = 'rest'): Slot => ({
            id: `product${p.variant === 'default' ? '' : `[${p.variant}]`}${transport === 'trpc' ? ' trpc' : ''} ${caller}`,
            runtime: rtName,
            kind: 'product',
            variant: p.variant,
            caller,
            transport,
            server: p.server,
            redis: p.redis,
            url: transport === 'rest' ? `${p.server.url}${p.path}` : `${p.server.url}/trpc/posts.get?input=${encodeURIComponent(JSON.stringify({ id: Number(p.path.split('/').pop()) }))}`,
            headers: caller === 'authenticated' ? { authorization: `Bearer ${p.token}` } : {},
          });
          slots.push(productSlot(products[0]!, 'authenticated'));
          slots.push(productSlot(products[0]!, 'authenticated', 'trpc'));
          if (tutorial) slots.push({ id: 'tutorial', runtime: rtName, kind: 'tutorial', server: tutorial.nest, redis: tutorial.redis, url: `${tutorial.nest.url}/posts/1`, headers: {} });
          slots.push(productSlot(products[0]!, 'anonymous'));
          for (const p of products.slice(1)) slots.push(productSlot(p, 'authenticated'), productSlot(p, 'anonymous'));
          console.log(`ok (${slots.map((s) => s.id).join(', ')})`);

          if (opts.warmup > 0) for (const s of slots) await measure(s, opts.warmup);
          const runs = new Map<string, Run[]>(slots.map((s) => [s.id, []]));
          // Resident memory of each product process after each round: the same load, round after round, must not make it grow.
          const rssPerRound = new Map<number, number[]>(products.map((p) => [p.server.pid, []]));
          for (let round_ = 0; round_ < opts.rounds; round_++) {
            process.stdout.write(`  ${rtName} round ${round_ + 1}/${opts.rounds}:`);
            for (const s of slots) {
              const r = await measure(s, opts.seconds);
              runs.get(s.id)!.push(r);
              process.stdout.write(` ${s.id} ${r.rps}/s`);
            }
            for (const [pid, xs] of rssPerRound) xs.push(rssMb(pid));
            process.stdout.write('\n');
          }

          // The generator's own ceiling: at pipelining 1 the bare route is bound by its one
          // thread, so this run (10 requests in flight per connection) shows how far past every
          // server above the load generator reaches on this machine.
          const ceiling = await runCannon({ ...cannon, pipelining: 10, url: `${bare.url}${path}`, seconds: opts.seconds, maxRequests: opts.seconds * 400_000 });
          generatorCeilingRps = Math.max(generatorCeilingRps, ceiling.rps);
          console.log(`  ${rtName} load generator ceiling (bare route, pipelining 10): ${ceiling.rps}/s`);

          const productRss = (p: NonNullable<(typeof products)[number]>) => {
            const perRound = rssPerRound.get(p.server.pid) ?? [];
            return { idle: p.rssIdleMb, perRound, ...rssTrend(perRound) };
          };
          const bareRuns = runs.get('bare')!;
          const tutorialRuns = runs.get('tutorial');
          const perRoundRatio = (a: Run[], b: Run[]) => round(median(a.map((r, i) => r.rps / b[i]!.rps)), 3);
          const summaries: Record<string, unknown> = {};
          for (const s of slots) {
            const rs = runs.get(s.id)!;
            const failed = rs.reduce((n, r) => n + r.non2xx + r.errors + r.timeouts, 0);
            const summary = {
              rps: medianOf(rs, 'rps'),
              p50Ms: medianOf(rs, 'p50Ms'),
              p99Ms: medianOf(rs, 'p99Ms'),
              serverCpuUsPerRequest: medianOf(rs, 'serverCpuUsPerRequest'),
              redisCpuUsPerRequest: medianOf(rs, 'redisCpuUsPerRequest'),
              commandsPerRequest: medianOf(rs, 'commandsPerRequest'),
              scriptCallsPerRequest: medianOf(rs, 'scriptCallsPerRequest'),
              logBytesPerRequest: medianOf(rs, 'logBytesPerRequest'),
              machineBusyCores: medianOf(rs, 'machineBusyCores'),
              failedRequests: failed,
              rpsPerRound: rs.map((r) => r.rps),
              ...(s.kind !== 'bare' ? { rpsVsBareMedianOfRounds: perRoundRatio(rs, bareRuns) } : {}),
              ...(s.kind === 'product' && tutorialRuns ? { rpsVsTutorialMedianOfRounds: perRoundRatio(rs, tutorialRuns) } : {}),
              ...(s.kind === 'product' ? { rssMb: productRss(products.find((p) => p.server === s.server)!) } : {}),
            };
            summaries[s.id] = { ...summary, runs: rs };
            if (s.kind === 'bare') bareMax = Math.max(bareMax, ...rs.map((r) => r.rps));
            const fmt = (x: number | null, d = 1) => (x === null ? '-' : String(round(x, d)));
            tableRows.push([
              rt.version,
              s.id,
              fmt(summary.rps, 0),
              `${fmt(summary.p50Ms, 0)}/${fmt(summary.p99Ms, 0)}`,
              fmt(summary.serverCpuUsPerRequest),
              fmt(summary.redisCpuUsPerRequest),
              fmt(summary.commandsPerRequest, 2),
              fmt(summary.scriptCallsPerRequest, 2),
              fmt(summary.logBytesPerRequest, 0),
              fmt(summary.machineBusyCores, 2),
              s.kind === 'bare' ? '1' : fmt(summary.rpsVsBareMedianOfRounds ?? null, 3),
              s.kind === 'product' && tutorialRuns ? fmt(summary.rpsVsTutorialMedianOfRounds ?? null, 2) : '',
              failed ? `FAILED ${failed}` : '',
            ]);
            if (s.kind === 'product') {
              const cpu = (id: string) => medianOf(runs.get(id)!, 'serverCpuUsPerRequest') ?? NaN;
              ratios[`${rtName} ${s.id} rps / bare rps`] = perRoundRatio(rs, bareRuns);
              ratios[`${rtName} ${s.id} server CPU per request / bare's`] = round(cpu(s.id) / cpu('bare'), 2);
              if (s.transport === 'trpc') ratios[`${rtName} ${s.id} server CPU per request / REST's`] = round(cpu(s.id) / cpu(s.id.replace(' trpc', '')), 2);
              if (tutorialRuns) {
                ratios[`${rtName} ${s.id} rps / tutorial rps`] = perRoundRatio(rs, tutorialRuns);
                ratios[`${rtName} ${s.id} server CPU per request / tutorial's`] = round(cpu(s.id) / cpu('tutorial'), 2);
              }
            }
            if (s.kind === 'tutorial') ratios[`${rtName} tutorial rps / bare rps`] = perRoundRatio(rs, bareRuns);
          }
          phases.push({
            runtime: rtName,
            version: rt.version,
            bodyBytes: body.length,
            anonymousBodySameBytes: products.every((p) => p.anonymousBodySame),
            variants: variants.map((v) => ({ name: v.name, env: v.env })),
            slots: summaries,
          });
        } finally {
          for (const stop of stops) await stop().catch(() => undefined);
        }
      }
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }

    const header = ['runtime', 'server', 'req/s', 'p50/p99 ms', 'srv µs/req', 'redis µs/req', 'cmds/req', 'scripts/req', 'log B/req', 'busy cores', 'vs bare', 'vs tutorial', ''];
    const widths = header.map((h, i) => Math.max(h.length, ...tableRows.map((r) => r[i]!.length)));
    const line = (r: string[]) => r.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd();
    const table = [line(header), ...tableRows.map(line)].join('\n');

    return {
      table,
      results: {
        method: {
          load: `autocannon ${opts.connections} connections, pipelining ${opts.pipelining}, ${opts.workers || 'no'} worker threads, ${opts.seconds} s per run (at most ${opts.seconds * 200_000} requests), in a child process; ${opts.warmup} s warm-up per server first`,
          rounds: `${opts.rounds} rounds per runtime, servers alternating in each round; figures are medians over rounds, ratios the median of per-round ratios`,
          busyCores: 'cores busy on the whole machine during a run (/proc/stat): server, redis-server, autocannon and anything else running; 2 means the machine was saturated',
          cpu: `utime+stime of the server's own pid and of its redis-server's pid from /proc/<pid>/stat (CLK_TCK ${CLK_TCK}), before and after each run, per request served`,
          commands: 'INFO commandstats of the server\'s private redis-server: sum of calls over all cmdstat_ lines (commands inside Lua scripts included, the probe\'s own INFO taken off), per request; background tasks (view flush, trending announcer, stream readers) included',
          servers: 'each server in its own process on 127.0.0.1, each product process and the tutorial with a redis-server of its own; the product in production mode with the request log on (stdout to a file), rate limiting on with 100000 per 1 s',
          latency: 'autocannon records whole milliseconds',
          generatorCeiling: 'after the rounds of each runtime, one run against the bare route with pipelining 10: the requests/s the load generator itself reaches',
        },
        machine: { cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model, loadAverageAfter: os.loadavg().map((l) => round(l, 2)) },
        options: opts,
        bareRouteMaxRps: bareMax,
        generatorCeilingRps,
        phases,
        seconds: Math.round((Date.now() - started) / 1000),
      },
      ratios,
    };
  },
};
