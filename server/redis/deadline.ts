import { Cluster, type Redis } from 'ioredis';
import { TimeoutError } from '../timeout.ts';

/**
 * Commands ioredis issues itself while it (re)connects, some without a rejection handler: left
 * alone, so a failure here never becomes an unhandled rejection. They keep ioredis' own timeout.
 */
const connectionCommands = new Set(['auth', 'client', 'hello', 'info', 'quit', 'readonly', 'select', 'subscribe', 'psubscribe', 'ssubscribe']);

interface Waiting {
  /** performance.now() when the command was issued. */
  issuedAt: number;
  fail(err: Error): void;
}

/**
 * One deadline for everything waiting on the connection, so that no request waits on a stalled
 * Redis for more than `timeoutMs` in all (docs/reliability.md):
 *
 * - every waiting command fails once the oldest of them has waited `timeoutMs`, counted from when
 *   the app issued it, without a byte from Redis meanwhile. On one connection Redis answers in
 *   order, so none of the younger ones could have been answered first; and a request's later calls
 *   share the deadline of its first. Bytes still arriving (a long pipeline's replies, read by a
 *   busy process) mean Redis is answering: then ioredis' own per-command timeout applies.
 * - then Redis counts as stalled: commands fail at once, unsent, until it sends anything (a PING
 *   sent at that moment makes sure it will) or the connection is new. Else a request calling
 *   Redis again after a failure (the preflight timed out, then its route) would wait once more.
 *
 * ioredis' `commandTimeout` alone allowed up to twice the limit: it counts from the write, and
 * ioredis runs one auto-pipeline at a time, so a command queued behind a pipeline in flight waits
 * for that pipeline's timeout before its own starts. It stays, as the backstop.
 *
 * On a cluster the state is the client's, not a node's: bytes from any node count, so one node
 * stalled while the others answer falls back to ioredis' per-command timeout (up to twice the
 * limit, as before); the bound holds for one server, or a cluster that stalls as a whole. A late answer to a failed command is absorbed. The timer's failure waits one more turn of the
 * event loop, so an answer that arrived while the process was busy wins (as in `within`).
 */
export function shareCommandDeadline(redis: Redis | Cluster, timeoutMs: number, scriptNames: readonly string[]): void {
  const methods = redis as unknown as Record<string, (...args: unknown[]) => unknown>;
  const ping = methods.ping!;
  const waiting = new Set<Waiting>(); // in issue order
  let timer: NodeJS.Timeout | undefined;
  let stalled = false;
  /** When the last bytes came from Redis: while they come, it is answering, if slowly. */
  let heardAt = -Infinity;

  /** Since when a command issued at `issuedAt` has heard nothing from Redis. */
  const silentSince = (issuedAt: number) => Math.max(issuedAt, heardAt);
  // Timers fire no sooner than asked, but performance.now() and setTimeout round differently.
  const silentTooLong = (issuedAt: number) => performance.now() - silentSince(issuedAt) >= timeoutMs - 1;

  function arm(): void {
    const oldest = waiting.values().next().value;
    if (timer || !oldest) return;
    timer = setTimeout(() => setImmediate(expire), Math.max(0, silentSince(oldest.issuedAt) + timeoutMs - performance.now()));
  }

  function expire(): void {
    timer = undefined;
    const oldest = waiting.values().next().value;
    if (oldest && silentTooLong(oldest.issuedAt)) stall();
    arm();
  }

  function heard(): void {
    heardAt = performance.now();
    stalled = false;
  }
  // Every connection's socket, the new one after each reconnect (on a cluster, each node's).
  const listen = (connection: Redis) => connection.on('connect', () => connection.stream.on('data', heard));
  if (redis instanceof Cluster) redis.on('+node', listen);
  else listen(redis);

  /** Fails everything waiting, and everything issued until Redis sends something (the probe's answer at the latest). */
  function stall(): void {
    const failed = [...waiting];
    waiting.clear();
    const err = new TimeoutError('Command timed out');
    for (const w of failed) w.fail(err);
    if (!stalled) {
      stalled = true;
      probe();
    }
  }

  /** One PING at a time while stalled, so that Redis has something to answer; a new connection needs none ('ready' below). */
  function probe(): void {
    (ping.call(redis) as Promise<unknown>).then(
      () => void (stalled = false),
      (err: unknown) => {
        if (stalled && redis.status === 'ready' && err instanceof Error && err.message === 'Command timed out') probe();
      },
    );
  }
  redis.on('ready', () => void (stalled = false));

  function track<T>(issue: () => Promise<T>): Promise<T> {
    if (stalled) return Promise.reject(new TimeoutError(`Command not sent: Redis has not answered for ${timeoutMs} ms`));
    return new Promise<T>((resolve, reject) => {
      const entry: Waiting = { issuedAt: performance.now(), fail: reject };
      waiting.add(entry);
      arm();
      issue().then(
        (value) => waiting.delete(entry) && resolve(value),
        (err: unknown) => {
          if (!waiting.delete(entry)) return;
          reject(err);
          // ioredis' own timeout (counted from the write, so never before ours) may fire first.
          if (err instanceof Error && err.message === 'Command timed out' && silentTooLong(entry.issuedAt)) stall();
        },
      );
    });
  }

  const names = [...redis.getBuiltinCommands(), ...scriptNames].filter((name) => !connectionCommands.has(name) && name !== 'multi' && name !== 'exec');
  for (const name of names.flatMap((n) => [n, `${n}Buffer`])) {
    const command = methods[name];
    if (typeof command !== 'function') continue;
    // Pipelines copy the client's script methods and call them as their own (`this`): those, and
    // calls with a callback (whose caller listens to ioredis, not to the promise), are left as they are.
    methods[name] = function (this: unknown, ...args: unknown[]) {
      if (this !== redis || typeof args.at(-1) === 'function') return command.apply(this, args);
      return track(() => command.apply(redis, args) as Promise<unknown>);
    };
  }
  // MULTI and pipelines: their exec() is the one call that waits.
  for (const name of ['multi', 'pipeline']) {
    const create = methods[name]!;
    methods[name] = (...args: unknown[]) => {
      const pipeline = create.apply(redis, args) as { exec?: (...args: unknown[]) => Promise<unknown> };
      const exec = pipeline.exec;
      if (typeof exec === 'function') {
        pipeline.exec = (...execArgs: unknown[]) => (execArgs.length > 0 ? exec.apply(pipeline, execArgs) : track(() => exec.call(pipeline)));
      }
      return pipeline;
    };
  }
}
