import { spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

/** A server under test, in a process of its own, listening on 127.0.0.1. */
export interface ServerProcess {
  name: string;
  url: string;
  pid: number;
  /** Bytes written so far to its stdout file (the request log, for the product). */
  stdoutBytes(): number;
  /** SIGTERM, then SIGKILL if it has not exited after 10 s. */
  stop(): Promise<void>;
}

/**
 * Starts `command args` in `cwd` with `env` added to this process' environment, its stdout and
 * stderr sent to `<logDir>/<name>.out` and `.err` (as a deployment would), and waits until
 * `GET <url><readyPath>` answers (any status) within `startSeconds`.
 */
export async function startServer(opts: {
  name: string;
  command: string;
  args: string[];
  cwd: string;
  env: Record<string, string>;
  port: number;
  logDir: string;
  readyPath?: string;
  startSeconds?: number;
}): Promise<ServerProcess> {
  const outFile = join(opts.logDir, `${opts.name}.out`);
  const errFile = join(opts.logDir, `${opts.name}.err`);
  const out = openSync(outFile, 'a');
  const err = openSync(errFile, 'a');
  const child = spawn(opts.command, opts.args, { cwd: opts.cwd, env: { ...process.env, ...opts.env }, stdio: ['ignore', out, err] });
  closeSync(out);
  closeSync(err);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = `http://127.0.0.1:${opts.port}`;
  const deadline = Date.now() + (opts.startSeconds ?? 60) * 1000;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`bench: ${opts.name} exited during start-up (${child.exitCode ?? child.signalCode}): ${readFileSync(errFile, 'utf8').slice(-2000)}`);
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`bench: ${opts.name} did not answer on ${url} within ${opts.startSeconds ?? 60} s`);
    }
    const up = await fetch(`${url}${opts.readyPath ?? '/'}`, { signal: AbortSignal.timeout(1000) }).then(
      async (r) => (await r.arrayBuffer(), true),
      () => false,
    );
    if (up) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    name: opts.name,
    url,
    pid: child.pid!,
    stdoutBytes: () => statSync(outFile).size,
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}
