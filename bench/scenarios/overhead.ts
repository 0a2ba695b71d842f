import { intFlag, loadFlag, type LoadFlags } from '../lib/cli.ts';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import { join, resolve } from 'node:path';
import { freePort } from '../../server/redis/local-server.ts';
import { runCannon, type CannonResult } from '../lib/autocannon.ts';
import { round } from '../lib/load.ts';
import { overheadVariants, type OverheadVariant } from '../lib/overhead-variants.ts';
import { CLK_TCK, cpuMicros, machineMicros } from '../lib/proc.ts';
import { startServer, type ServerProcess } from '../lib/server-process.ts';
import type { BenchScenario } from '../lib/scenario.ts';

/**
 * `npm run bench -- overhead [options]`: what the per-request pieces every answer goes through cost
 * (the access log line, the request id and its logger, the metrics, the response headers), each
 * switched off in turn. One GET /posts/:id answering the same cached-post JSON, served by
 * bench/lib/overhead-server.ts from the real middleware modules, one process per variant (stdout to
 * a file), the load from autocannon in another process, the variants measured alternately in rounds.
 * The figure is the server's own CPU (utime+stime of its pid) per request: a piece's cost is
 * CPU(all) - CPU(all without it), the total overhead CPU(all) - CPU(bare).
 *
 * Options (all optional):
 *   --variants bare,all,...   which variants (default: all of them; see overhead-server.ts)
 *   --rounds 5 --seconds 5 --warmup 2 --connections 50
 *   --rate N                  a fixed offered load of N requests/s over the connections (autocannon -R),
 *                             the same for every variant; default 0: closed loop, each connection sends
 *                             its next request when the answer comes. On a shared machine the closed
 *                             loop couples CPU per request to throughput (fewer requests per turn of the
 *                             event loop, more fixed cost per request): a rate every variant sustains
 *                             compares the variants at equal batching.
 */

const REPO_ROOT = resolve(import.meta.dirname, '..', '..');

interface Options extends LoadFlags {
  variants: OverheadVariant[];
  /** A fixed offered load (autocannon -R) so every variant serves the same rate; 0: closed loop. */
  rate: number;
}

function parseOptions(args: string[]): Options {
  const opts: Options = { variants: [...overheadVariants], rounds: 5, seconds: 5, warmup: 2, connections: 50, rate: 0 };
  const num = (flag: string, v: string | undefined, min: number, max: number) => intFlag('overhead', flag, v, min, max);
  for (let i = 0; i < args.length; i++) {
    const [flag, inline] = args[i]!.split(/=(.*)/s, 2) as [string, string | undefined];
    const value = () => inline ?? args[++i];
    switch (flag) {
      case '--variants':
        opts.variants = (value() ?? '').split(',').map((v) => {
          if (!overheadVariants.includes(v as OverheadVariant)) throw new Error(`bench overhead: unknown variant "${v}" (${overheadVariants.join(', ')})`);
          return v as OverheadVariant;
        });
        break;
      case '--rate':
        opts.rate = num(flag, value(), 0, 1_000_000);
        break;
      default:
        if (!loadFlag('overhead', opts, flag, value)) throw new Error(`bench overhead: unknown option ${args[i]}`);
    }
  }
  return opts;
}

interface Run extends CannonResult {
  serverCpuUsPerRequest: number;
  logBytesPerRequest: number;
  machineBusyCores: number;
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
};

/** What each variant leaves out of `all`, for the table. */
const pieceOf: Partial<Record<OverheadVariant, string>> = {
  'no-access-log': 'access log line',
  'no-metrics': 'metrics (histogram)',
  'no-header-bag': 'response headers (bag written)',
  'plain-json': 'json() vs c.json + addRequestHeaders',
  'caller-id': 'randomUUID (vs caller id check)',
};

export const overheadScenario: BenchScenario = {
  name: 'overhead',
  async run(ctx) {
    const opts = parseOptions(ctx.args ?? []);
    if (!opts.variants.includes('all')) throw new Error('bench overhead: the variants must include "all" (costs are measured against it)');
    const tmp = mkdtempSync(join(os.tmpdir(), 'blog-bench-overhead-'));
    const started = Date.now();
    const servers = new Map<OverheadVariant, ServerProcess>();
    // Ask for an id that passes requestContext's check (as a proxy in front would send one).
    const headersOf = (v: OverheadVariant): Record<string, string> => (v === 'caller-id' ? { 'x-request-id': 'bench-0123456789abcdef' } : {});

    const measure = async (v: OverheadVariant, seconds: number): Promise<Run> => {
      const server = servers.get(v)!;
      const cpu0 = cpuMicros(server.pid);
      const log0 = server.stdoutBytes();
      const machine0 = machineMicros();
      const wall0 = performance.now();
      const r = await runCannon({ url: `${server.url}/posts/42`, headers: headersOf(v), connections: opts.connections, pipelining: 1, workers: 0, seconds, maxRequests: seconds * 200_000, overallRate: opts.rate || undefined });
      const cpu = cpuMicros(server.pid) - cpu0;
      const machine = machineMicros();
      const wallUs = (performance.now() - wall0) * 1000;
      const per = (x: number, digits: number) => round(x / Math.max(1, r.requests), digits);
      return {
        ...r,
        serverCpuUsPerRequest: per(cpu, 2),
        logBytesPerRequest: per(server.stdoutBytes() - log0, 1),
        machineBusyCores: round((machine.busy - machine0.busy) / wallUs, 2),
      };
    };

    const runs = new Map<OverheadVariant, Run[]>(opts.variants.map((v) => [v, []]));
    let headerCheck: Record<string, string[]> = {};
    try {
      process.stdout.write(`\n  starting ${opts.variants.length} servers ... `);
      for (const v of opts.variants) {
        const port = await freePort();
        const server = await startServer({
          name: v,
          command: process.execPath,
          args: ['--import', 'tsx', 'bench/lib/overhead-server.ts'],
          cwd: REPO_ROOT,
          env: { PORT: String(port), OVERHEAD_VARIANT: v, NODE_ENV: 'production' },
          port,
          logDir: tmp,
          readyPath: '/posts/42',
        });
        servers.set(v, server);
      }
      // What each variant answers: the same body; the header names differ by design.
      const bodies = new Set<string>();
      for (const [v, s] of servers) {
        const res = await fetch(`${s.url}/posts/42`, { headers: headersOf(v) });
        bodies.add(await res.text());
        headerCheck[v] = [...res.headers.keys()];
      }
      if (bodies.size !== 1) throw new Error(`bench overhead: the variants answer different bodies: ${[...bodies].join(' | ')}`);
      console.log('ok');

      if (opts.warmup > 0) for (const v of opts.variants) await measure(v, opts.warmup);
      for (let i = 0; i < opts.rounds; i++) {
        // Alternate the order from round to round, so no variant always runs first or last.
        const order = i % 2 ? [...opts.variants].reverse() : opts.variants;
        process.stdout.write(`  round ${i + 1}/${opts.rounds}:`);
        for (const v of order) {
          const r = await measure(v, opts.seconds);
          runs.get(v)!.push(r);
          process.stdout.write(` ${v} ${r.rps}/s ${r.serverCpuUsPerRequest}µs`);
        }
        process.stdout.write('\n');
      }
    } finally {
      for (const s of servers.values()) await s.stop().catch(() => undefined);
      rmSync(tmp, { recursive: true, force: true });
    }

    const cpuMedian = (v: OverheadVariant) => median(runs.get(v)!.map((r) => r.serverCpuUsPerRequest));
    /** The median over rounds of a per-round difference, which the round's own noise affects less than a difference of medians. */
    const pairedDiff = (a: OverheadVariant, b: OverheadVariant) => {
      const ra = runs.get(a)!;
      const rb = runs.get(b)!;
      return median(ra.map((r, i) => r.serverCpuUsPerRequest - rb[i]!.serverCpuUsPerRequest));
    };
    const has = (v: OverheadVariant) => runs.has(v);
    const summaries: Record<string, unknown> = {};
    const rows: string[][] = [];
    const ratios: Record<string, number> = {};
    for (const v of opts.variants) {
      const rs = runs.get(v)!;
      const failed = rs.reduce((n, r) => n + r.non2xx + r.errors + r.timeouts, 0);
      const s = {
        rps: median(rs.map((r) => r.rps)),
        serverCpuUsPerRequest: round(cpuMedian(v), 2),
        p50Ms: median(rs.map((r) => r.p50Ms)),
        p99Ms: median(rs.map((r) => r.p99Ms)),
        logBytesPerRequest: median(rs.map((r) => r.logBytesPerRequest)),
        machineBusyCores: median(rs.map((r) => r.machineBusyCores)),
        cpuVsBareUs: has('bare') ? round(pairedDiff(v, 'bare'), 2) : null,
        cpuAllMinusThisUs: v === 'all' || v === 'bare' ? null : round(pairedDiff('all', v), 2),
        rpsVsBare: has('bare') ? round(median(rs.map((r, i) => r.rps / runs.get('bare')![i]!.rps)), 3) : null,
        rpsVsAll: round(median(rs.map((r, i) => r.rps / runs.get('all')![i]!.rps)), 3),
        failedRequests: failed,
        responseHeaders: headerCheck[v],
        rpsPerRound: rs.map((r) => r.rps),
        cpuUsPerRound: rs.map((r) => r.serverCpuUsPerRequest),
      };
      summaries[v] = { ...s, runs: rs };
      const fmt = (x: number | null, d = 1) => (x === null || Number.isNaN(x) ? '-' : String(round(x, d)));
      rows.push([
        v,
        fmt(s.rps, 0),
        fmt(s.serverCpuUsPerRequest, 2),
        fmt(s.cpuVsBareUs, 2),
        fmt(s.cpuAllMinusThisUs, 2),
        pieceOf[v] ?? '',
        fmt(s.rpsVsBare, 3),
        fmt(s.logBytesPerRequest, 0),
        fmt(s.machineBusyCores, 2),
        failed ? `FAILED ${failed}` : '',
      ]);
    }
    if (has('bare')) {
      ratios['all rps / bare rps'] = summaries.all ? (summaries.all as { rpsVsBare: number }).rpsVsBare : NaN;
      ratios['all server CPU per request / bare'] = round(cpuMedian('all') / cpuMedian('bare'), 3);
    }
    const totalUs = has('bare') ? round(pairedDiff('all', 'bare'), 2) : null;

    const header = ['variant', 'req/s', 'srv µs/req', 'vs bare µs', 'all - this µs', 'piece switched off', 'rps/bare', 'log B/req', 'busy cores', ''];
    const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
    const line = (r: string[]) => r.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd();
    const table = [
      line(header),
      ...rows.map(line),
      totalUs === null ? '' : `overhead of all four pieces: CPU(all) - CPU(bare) = ${totalUs} µs per request (median of per-round differences; target <= 15)`,
    ].join('\n');

    return {
      table,
      results: {
        method: {
          load: `autocannon ${opts.connections} connections, no pipelining, ${opts.rate ? `a fixed ${opts.rate} requests/s offered (-R)` : 'closed loop'}, ${opts.seconds} s per run, in a child process; ${opts.warmup} s warm-up per server first`,
          rounds: `${opts.rounds} rounds, variants alternating (order reversed every other round); figures are medians over rounds; differences are medians of per-round differences`,
          cpu: `utime+stime of the server's own pid from /proc/<pid>/stat (CLK_TCK ${CLK_TCK}), before and after each run, per request served`,
          servers: 'bench/lib/overhead-server.ts under node --import tsx, one process per variant on 127.0.0.1, stdout (the access log) to a file; NODE_ENV=production',
          variants: 'see bench/lib/overhead-server.ts',
        },
        machine: { cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model, loadAverageAfter: os.loadavg().map((l) => round(l, 2)) },
        node: process.version,
        options: opts,
        overheadAllVsBareUs: totalUs,
        variants: summaries,
        seconds: Math.round((Date.now() - started) / 1000),
      },
      ratios,
    };
  },
};
