import { Redis } from 'ioredis';
import { get, Agent, type IncomingMessage } from 'node:http';
import { freePort } from '../../server/redis/local-server.ts';
import { nodeEntry, startServerProcess } from '../../test/helpers/process.ts';
import { percentile, round } from '../lib/load.ts';
import type { BenchScenario } from '../lib/scenario.ts';

const SUBSCRIBERS = 500;
const LATENCY_SAMPLES = 200;
const FANOUT_SAMPLES = 20;

/** A raw SSE client of `events.onPost` (what the typed client opens), calling `onPost(postId)` for each event. */
function subscribe(url: string, agent: Agent, onPost: (postId: number) => void, path = '/trpc/events.onPost'): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    get(`${url}${path}`, { agent }, (res) => {
      let buffer = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        buffer += chunk;
        let end: number;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const m = /"postId":(\d+)/.exec(buffer.slice(0, end));
          buffer = buffer.slice(end + 2);
          if (m) onPost(Number(m[1]));
        }
      });
      resolve(res);
    }).on('error', reject);
  });
}

/**
 * Live events across instances: instance A (in-process) publishes, instance B (a real server
 * process, so its memory is its own) fans out to SSE subscribers. Measures the A→B delivery
 * latency with one subscriber; then, for 500 subscribers of the tRPC subscription and of the plain
 * SSE route in turn, the time until all of them have an event, B's heap per subscriber and the
 * Redis connections (against idle).
 */
export const eventsScenario: BenchScenario = {
  name: 'events',
  async run({ buildApp, redisUrl }) {
    const prefix = `bench-events:${Date.now()}:`;
    const a = await buildApp({ REDIS_KEY_PREFIX: prefix });
    const port = await freePort();
    const b = await startServerProcess(nodeEntry, {
      REDIS_URL: redisUrl,
      REDIS_KEY_PREFIX: prefix,
      DATABASE_URL: 'memory://',
      NODE_ENV: 'production',
      // What production requires: the scrape below reads /metrics without a token.
      ANALYTICS_VISITOR_SECRET: 'bench-visitor-secret-of-32-characters',
      METRICS_PUBLIC: 'true',
      RATE_LIMIT_ENABLED: 'false',
      EVENTS_MAX_SUBSCRIBERS: String(SUBSCRIBERS + 10),
      // Every subscriber comes from the bench's one address.
      EVENTS_MAX_STREAMS_PER_CLIENT: String(SUBSCRIBERS + 10),
    }, port);
    const probe = new Redis(redisUrl);
    const agent = new Agent({ keepAlive: false, maxSockets: Infinity });
    const streams: IncomingMessage[] = []; // the first subscriber, for the A→B latency
    const clients = async () => ((await probe.client('LIST')) as string).trim().split('\n').length - 1; // minus the probe
    const heapUsed = async () => {
      const text = await (await fetch(`${b.url}/metrics`)).text();
      return Number(/^nodejs_heap_size_used_bytes (\S+)$/m.exec(text)?.[1]);
    };
    let postId = 0;
    const publish = () => a.services.events.publish({ type: 'post.created', postId: ++postId, authorId: 1, title: 'bench' });
    try {
      // B admits subscribers once its reader is positioned (GET /events answers 503 until then).
      for (;;) {
        const res = await fetch(`${b.url}/events`);
        await res.body?.cancel();
        if (res.status === 200) break;
        await new Promise((r) => setTimeout(r, 100));
      }
      const waiters = new Map<number, () => void>();
      const arrivals = new Map<number, number>();
      streams.push(await subscribe(b.url, agent, (id) => waiters.get(id)?.()));
      await new Promise((r) => setTimeout(r, 200));

      // A→B latency, one subscriber, one event at a time.
      const latencies: number[] = [];
      for (let i = 0; i < LATENCY_SAMPLES; i++) {
        const started = performance.now();
        const arrived = new Promise<void>((resolve) => waiters.set(postId + 1, resolve));
        await publish();
        await arrived;
        latencies.push(performance.now() - started);
      }

      const connectionsIdle = await clients();
      /** Opens SUBSCRIBERS - 1 more streams on `path`, then times events until all of them have each. */
      const fanOut = async (path: string) => {
        const opened: IncomingMessage[] = [];
        const heapBefore = await heapUsed();
        for (let i = 1; i < SUBSCRIBERS; i++) opened.push(await subscribe(b.url, agent, (id) => arrivals.set(id, (arrivals.get(id) ?? 0) + 1), path));
        await new Promise((r) => setTimeout(r, 500));
        const heapAfter = await heapUsed();
        const connections = await clients();
        const times: number[] = [];
        for (let i = 0; i < FANOUT_SAMPLES; i++) {
          const started = performance.now();
          await publish();
          const target = postId;
          while ((arrivals.get(target) ?? 0) < SUBSCRIBERS - 1) await new Promise((r) => setImmediate(r));
          times.push(performance.now() - started);
        }
        opened.forEach((s) => s.destroy());
        await new Promise((r) => setTimeout(r, 500));
        return { times, connections, heapPerSubscriberKiB: round((heapAfter - heapBefore) / (SUBSCRIBERS - 1) / 1024, 1) };
      };
      const trpc = await fanOut('/trpc/events.onPost');
      const plain = await fanOut('/events?topics=posts');

      const summary = (times: number[]) => ({ samples: times.length, p50Ms: percentile(times, 0.5), p99Ms: percentile(times, 0.99) });
      return {
        results: {
          subscribers: SUBSCRIBERS,
          deliveryAtoB: summary(latencies),
          fanoutToAll: { trpc: summary(trpc.times), plainSse: summary(plain.times) },
          heapPerSubscriberKiB: { trpc: trpc.heapPerSubscriberKiB, plainSse: plain.heapPerSubscriberKiB },
          redisConnections: { idle: connectionsIdle, with500Trpc: trpc.connections, with500PlainSse: plain.connections },
        },
        ratios: {
          'redis connections 500 subscribers/1': Math.max(trpc.connections, plain.connections) / connectionsIdle,
          'fan-out to 500 tRPC/plain SSE (p50)': percentile(trpc.times, 0.5) / percentile(plain.times, 0.5),
        },
      };
    } finally {
      streams.forEach((s) => s.destroy());
      agent.destroy();
      probe.disconnect();
      await b.stop();
      await a.close();
    }
  },
};
