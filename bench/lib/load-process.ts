import { runLoad } from './load.ts';

/**
 * The load loop in a process of its own (spawned by `runLoadInChild`), so that the load
 * generator's CPU does not slow the server it measures. Reads its options from argv[2] (JSON),
 * prints the LoadResult as JSON on stdout.
 */
const opts = JSON.parse(process.argv[2] ?? '{}') as {
  url: string;
  headers: Record<string, string>;
  requests: number;
  concurrency: number;
  maxSeconds: number;
};
const result = await runLoad({ ...opts, request: () => ({ url: opts.url, init: { headers: opts.headers } }) });
process.stdout.write(JSON.stringify(result));
