import type { RedisClient } from '../../redis/client.ts';

/** What a resuming subscriber needs to know about the stream's ends. */
export interface StreamBounds {
  /** The oldest entry still held (older ones were trimmed by MAXLEN); null when it holds none. */
  oldestId: string | null;
  /** The id of the last entry ever added, even if since trimmed: no valid id is greater. */
  lastGeneratedId: string;
}

export type StreamEntry = [id: string, fields: string[]];

/** Reads of the event stream on the command connection (fail-fast), for replays. */
export interface EventStreamReader {
  /** XINFO STREAM's ends, or null when the stream does not exist. */
  bounds(): Promise<StreamBounds | null>;
  /** Up to `count` entries strictly after `afterId`, oldest first (XRANGE key (afterId + COUNT count). */
  after(afterId: string, count: number): Promise<StreamEntry[]>;
}

export function createEventStreamReader(redis: RedisClient, key: string): EventStreamReader {
  return {
    async bounds() {
      let reply: unknown[];
      try {
        reply = (await redis.xinfo('STREAM', key)) as unknown[];
      } catch (err) {
        if ((err as Error).message.includes('no such key')) return null;
        throw err;
      }
      // A flat [name, value, name, value, ...] list; first-entry is [id, fields] or null.
      const info = new Map<string, unknown>();
      for (let i = 0; i + 1 < reply.length; i += 2) info.set(String(reply[i]), reply[i + 1]);
      const first = info.get('first-entry') as [string, string[]] | null;
      return { oldestId: first?.[0] ?? null, lastGeneratedId: String(info.get('last-generated-id')) };
    },
    after(afterId, count) {
      return redis.xrange(key, `(${afterId}`, '+', 'COUNT', count);
    },
  };
}
