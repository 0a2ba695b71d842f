import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { apiCommand, buildServer, startApi, type ApiRuntime } from '../lib/api-process.ts';
import { intFlag } from '../lib/cli.ts';
import { benchRedis } from '../lib/env.ts';
import { round } from '../lib/load.ts';
import { rssMb } from '../lib/memory.ts';
import type { BenchScenario } from '../lib/scenario.ts';

/**
 * `npm run bench -- startup [--runtimes node20-dist,node20-tsx,bun] [--starts 3]`: from process
 * start to the first `/health` answer, on the embedded PGlite: once on a new data directory, then
 * `--starts` times on the existing one (warm), each with the phases the process logs and its
 * resident memory 2 s later, idle. CPU time to ready is the figure a shared machine leaves alone.
 */
const IDLE_MS = 2000;

function parse(args: string[]): { runtimes: ApiRuntime[]; starts: number } {
  const opts: { runtimes: ApiRuntime[]; starts: number } = { runtimes: ['node20-dist', 'node20-tsx', 'bun'], starts: 3 };
  for (let i = 0; i < args.length; i++) {
    const [flag, inline] = args[i]!.split(/=(.*)/s, 2) as [string, string | undefined];
    const value = () => inline ?? args[++i];
    if (flag === '--starts') opts.starts = intFlag('startup', flag, value(), 1, 20);
    else if (flag === '--runtimes') {
      opts.runtimes = (value() ?? '').split(',').map((r) => {
        if (r !== 'node20-dist' && r !== 'node20-tsx' && r !== 'bun') throw new Error(`bench startup: unknown runtime "${r}" (node20-dist, node20-tsx, bun)`);
        return r;
      });
    } else throw new Error(`bench startup: unknown option ${args[i]}`);
  }
  return opts;
}

export const startupScenario: BenchScenario = {
  name: 'startup',
  async run(ctx) {
    const opts = parse(ctx.args ?? []);
    if (opts.runtimes.includes('node20-dist')) buildServer();
    const tmp = mkdtempSync(join(os.tmpdir(), 'blog-bench-startup-'));
    const redis = await benchRedis();
    const results: Record<string, unknown> = {};
    const rows: string[] = [];
    try {
      for (const rt of opts.runtimes) {
        const dataDir = join(tmp, rt);
        const starts = [];
        for (let i = 0; i <= opts.starts; i++) {
          const started = await startApi(rt, rt, { REDIS_URL: redis.url, REDIS_KEY_PREFIX: `startup:${rt}:`, DATA_DIR: dataDir }, tmp);
          await new Promise((r) => setTimeout(r, IDLE_MS));
          const idleRssMb = rssMb(started.server.pid);
          await started.server.stop();
          starts.push({ dataDirectory: i === 0 ? 'new' : 'existing', wallMs: started.wallMs, cpuMs: started.cpuMs, phasesMs: started.phasesMs, idleRssMb });
          rows.push(`${rt.padEnd(12)} ${(i === 0 ? 'new' : 'existing').padEnd(9)} ${String(started.wallMs).padStart(6)} ms wall ${String(started.cpuMs).padStart(6)} ms cpu ${String(idleRssMb).padStart(4)} MB idle  ${JSON.stringify(started.phasesMs)}`);
        }
        const warm = starts.slice(1);
        const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
        results[rt] = { command: apiCommand(rt), starts, warmMedianWallMs: median(warm.map((s) => s.wallMs)), warmMedianCpuMs: median(warm.map((s) => s.cpuMs)) };
      }
    } finally {
      await redis.close();
      rmSync(tmp, { recursive: true, force: true });
    }
    const ratios: Record<string, number> = {};
    for (const [rt, r] of Object.entries(results)) ratios[`${rt} warm start-up cpu / wall`] = round((r as { warmMedianCpuMs: number }).warmMedianCpuMs / (r as { warmMedianWallMs: number }).warmMedianWallMs, 2);
    return {
      table: rows.join('\n'),
      results: {
        method: `each start: spawn, poll GET /health every 100 ms until it answers (wall), the process' utime+stime by then (cpu), its "listening" log line's phases, VmRSS ${IDLE_MS / 1000} s later; then SIGTERM. The first start of each runtime creates the data directory, the others reuse it`,
        machine: { cpus: os.cpus().length, loadAverageAfter: os.loadavg().map((l) => round(l, 2)) },
        ...results,
      },
      ratios,
    };
  },
};
