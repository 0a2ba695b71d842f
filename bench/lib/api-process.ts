import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { freePort } from '../../server/redis/local-server.ts';
import { cpuMicros } from './proc.ts';
import { startServer, type ServerProcess } from './server-process.ts';

export const REPO_ROOT = resolve(import.meta.dirname, '..', '..');

/** How the API runs: compiled on Node 20 (production, the Dockerfile's CMD), tsx on Node 20 (`npm start`), or Bun on the sources. */
export type ApiRuntime = 'node20-dist' | 'node20-tsx' | 'bun';

/** The Dockerfile's CMD after `node` (its flags and `dist/server/main.node.js`): the compiled API as production runs it. */
export function productionNodeArgs(): string[] {
  const runtime = readFileSync(join(REPO_ROOT, 'Dockerfile'), 'utf8').split(/^FROM .* AS runtime$/m)[1] ?? '';
  const [node, ...args] = JSON.parse(/^CMD (\[.*\])$/m.exec(runtime)?.[1] ?? '[]') as string[];
  if (node !== 'node' || !args.includes('dist/server/main.node.js')) throw new Error('bench: the Dockerfile\'s CMD is not `node ... dist/server/main.node.js`');
  return args;
}

export function apiCommand(rt: ApiRuntime): { command: string; args: string[] } {
  switch (rt) {
    case 'node20-dist':
      return { command: process.execPath, args: productionNodeArgs() };
    case 'node20-tsx':
      return { command: process.execPath, args: ['--import', 'tsx', 'server/main.node.ts'] };
    case 'bun':
      return { command: join(REPO_ROOT, 'node_modules', '.bin', 'bun'), args: ['server/main.bun.ts'] };
  }
}

/** `npm run build:server`, as the Dockerfile's build stage runs it. */
export function buildServer(): void {
  execFileSync('npm', ['run', '--silent', 'build:server'], { cwd: REPO_ROOT, stdio: 'inherit' });
}

export interface StartedApi {
  server: ServerProcess;
  /** From spawn to the first /health answer, as seen from here (polled every 100 ms). */
  wallMs: number;
  /** CPU time the process (all its threads) used by then: the start-up's cost on an idle machine. */
  cpuMs: number;
  /** The phases of its `listening` log line. */
  phasesMs: Record<string, number>;
}

/** Starts the API with `env` (production, log at info, stdout to `<logDir>/<name>.out`) and times its start-up. */
export async function startApi(rt: ApiRuntime, name: string, env: Record<string, string>, logDir: string): Promise<StartedApi> {
  const port = await freePort();
  const t0 = performance.now();
  const server = await startServer({
    name,
    ...apiCommand(rt),
    cwd: REPO_ROOT,
    env: { NODE_ENV: 'production', LOG_LEVEL: 'info', METRICS_PUBLIC: 'true', ANALYTICS_VISITOR_SECRET: 'bench-visitor-secret-of-32-characters', ...env, HOST: '127.0.0.1', PORT: String(port) },
    port,
    logDir,
    readyPath: '/health',
    startSeconds: 180,
  });
  const wallMs = Math.round(performance.now() - t0);
  const cpuMs = Math.round(cpuMicros(server.pid) / 1000);
  const listening = readFileSync(join(logDir, `${name}.out`), 'utf8')
    .split('\n')
    .filter((l) => l.includes('"msg":"listening"'))
    .map((l) => JSON.parse(l) as { phasesMs?: Record<string, number> })
    .pop();
  return { server, wallMs, cpuMs, phasesMs: listening?.phasesMs ?? {} };
}
