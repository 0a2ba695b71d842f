import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { waitFor } from './wait.ts';

export interface ServerProcess {
  child: ChildProcess;
  url: string;
  output(): string;
  /** Resolves once the process has exited, with its code (null when a signal ended it). */
  exited: Promise<number | null>;
  /** Sends SIGTERM and resolves with the exit code (SIGKILL after `timeoutMs`). */
  stop(timeoutMs?: number): Promise<number | null>;
}

/**
 * The Node entry as `npm start` runs it, on the Node running the tests: one process, TypeScript
 * loaded by tsx's hook. Not tsx's CLI, whose parent process relays SIGTERM and kills the server
 * when it does not acknowledge the signal within 30 ms, which a busy machine misses (exit 143
 * instead of a graceful 0).
 */
export const nodeEntry = [process.execPath, '--import', 'tsx', 'server/main.node.ts'];

/**
 * Starts a server entry as a real process on 127.0.0.1 and waits until /health answers.
 * `command` is e.g. `nodeEntry`.
 */
export async function startServerProcess(command: string[], env: Record<string, string>, port: number, timeoutMs = 90_000): Promise<ServerProcess> {
  const [bin, ...args] = command;
  const child = spawn(bin!, args, {
    env: { ...process.env, HOST: '127.0.0.1', PORT: String(port), LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout?.on('data', (b: Buffer) => (out += b.toString()));
  child.stderr?.on('data', (b: Buffer) => (out += b.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const url = `http://127.0.0.1:${port}`;
  const healthy = async () => {
    if (child.exitCode !== null) throw new Error(`server exited with ${child.exitCode}: ${out}`);
    return fetch(`${url}/health`).then((r) => r.status < 500, () => false);
  };
  await waitFor(healthy, { timeoutMs, intervalMs: 100, what: `${url}/health answers` }).catch((err: Error) => {
    if (child.exitCode !== null) throw err; // it exited: the message holds its output
    child.kill('SIGKILL');
    throw new Error(`${err.message}: ${out}`);
  });
  return {
    child,
    url,
    output: () => out,
    exited,
    stop: async (stopTimeoutMs = 15_000) => {
      if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), stopTimeoutMs);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
  };
}

/** A process' state letter (`T`: stopped), from /proc on Linux, else from ps. */
function processState(pid: number): string {
  if (existsSync(`/proc/${pid}/stat`)) {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
  }
  return execFileSync('ps', ['-o', 'stat=', '-p', String(pid)], { encoding: 'utf8' }).trim().slice(0, 1);
}

/**
 * Stops a process (SIGSTOP) and resolves once it is stopped: the signal takes effect when the
 * process next runs, which on a busy machine can be a while.
 */
export async function freeze(pid: number): Promise<void> {
  process.kill(pid, 'SIGSTOP');
  await waitFor(() => processState(pid) === 'T', { intervalMs: 2, what: `process ${pid} is stopped` });
}
