import { Redis } from 'ioredis';

/** Commands a redis-server has executed so far, from INFO commandstats. */
export interface CommandCounts {
  /** Sum of `calls` over every cmdstat_ line (commands run inside Lua scripts included). */
  all: number;
  /** EVAL and EVALSHA calls (and their _ro forms): script invocations. */
  scripts: number;
}

/**
 * A probe connection to one redis-server that reads INFO commandstats. Each reading is one INFO
 * call, which the next reading counts: `since` takes that one call off, so a difference between
 * two readings is what the others ran.
 */
export async function commandProbe(url: string): Promise<{ read(): Promise<CommandCounts>; since(before: CommandCounts): Promise<CommandCounts>; close(): void }> {
  const probe = new Redis(url, { lazyConnect: true, enableReadyCheck: false, maxRetriesPerRequest: 1 });
  await probe.connect();
  const read = async (): Promise<CommandCounts> => {
    const info = await probe.info('commandstats');
    let all = 0;
    let scripts = 0;
    for (const m of info.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)) {
      const calls = Number(m[2]);
      all += calls;
      if (/^(eval|evalsha|eval_ro|evalsha_ro)$/.test(m[1]!)) scripts += calls;
    }
    return { all, scripts };
  };
  return {
    read,
    since: async (before) => {
      const now = await read();
      return { all: now.all - before.all - 1, scripts: now.scripts - before.scripts };
    },
    close: () => probe.disconnect(),
  };
}
