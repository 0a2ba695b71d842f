import { Cluster, type Command } from 'ioredis';
import { connectionName, type RedisClient } from '../redis/client.ts';
import type { Metrics, RedisFailureKind } from './metrics.ts';

/** Sorts a command failure into the few kinds an operator acts on differently. */
function failureKind(err: Error): RedisFailureKind {
  if (err.name === 'ReplyError') return 'reply';
  if (err.message === 'Command timed out') return 'timeout';
  if (/Stream isn't writeable|Connection is closed|Cluster isn't ready/.test(err.message)) return 'unavailable';
  return 'other';
}

/** Marks a command whose `reject` is wrapped: a property, cheaper than a WeakSet entry per command. */
const watched = Symbol('redis-metrics.watched');
type WatchedCommand = Command & { [watched]?: true };

/**
 * Counts a connection's failures into `metrics`: connection errors and reconnect attempts from
 * ioredis' events, and failed commands by wrapping the connection's `sendCommand`.
 *
 * ioredis has no per-command failure event (its diagnostics channel sees only commands it
 * wrote, not those refused while disconnected, which is the failure that matters here), so each
 * command's `reject` is wrapped the first time the command passes through `sendCommand` (a command
 * can pass more than once, e.g. on a resend). Wrapping `reject` rather than chaining on the
 * command's promise leaves the caller's promise untouched: a rejection nobody handles still
 * surfaces as an unhandled rejection instead of being swallowed by the metrics.
 *
 * `NOSCRIPT` is not counted: ioredis answers it itself by resending the script with EVAL.
 */
export function observeRedis(redis: RedisClient, metrics: Metrics): void {
  const connection = connectionName(redis) ?? 'redis';
  redis.on('error', () => metrics.redisConnectionError(connection));
  redis.on('reconnecting', () => metrics.redisReconnect(connection));

  /** Wraps one connection's `sendCommand`; a command passing two wrappers (or one twice) is counted once. */
  function watchCommands(target: { sendCommand: RedisClient['sendCommand'] }): void {
    const send = target.sendCommand.bind(target);
    target.sendCommand = (command: WatchedCommand, ...rest: unknown[]) => {
      if (!command[watched]) {
        command[watched] = true;
        const reject = command.reject;
        let counted = false;
        command.reject = (err: Error) => {
          if (!counted && !err.message.includes('NOSCRIPT')) {
            counted = true;
            metrics.redisCommandFailed(connection, command.name, failureKind(err));
          }
          reject(err);
        };
      }
      return (send as (command: Command, ...rest: unknown[]) => unknown)(command, ...rest);
    };
  }

  watchCommands(redis);
  // A cluster's pipelines (auto-pipelining included) write to its node connections directly,
  // past the cluster's own sendCommand: watch each node too, those connected later as well.
  if (redis instanceof Cluster) {
    redis.nodes().forEach(watchCommands);
    redis.on('+node', watchCommands);
  }
}
