import type { BuiltApp } from '../../server/app.ts';
import type { LoadOptions } from './load.ts';

/** What bench/run.ts hands each scenario. */
export interface BenchContext {
  redisUrl: string;
  /** Counts commands Redis executed, for round trips per request. */
  totalCommands(): Promise<number>;
  /**
   * The real app on the bench Redis and an in-memory PGlite; env overrides as strings. Its
   * background tasks (live reader, analytics worker, view flush, trending announcer) are started
   * unless `background` is false: round-trip counts leave them out, as they are not on a request's path.
   */
  buildApp(env?: Record<string, string>, opts?: { background?: boolean }): Promise<BuiltApp & { close(): Promise<void> }>;
  serve(fetch: (req: Request) => Response | Promise<Response>): Promise<{ url: string; close(): Promise<void> }>;
  settings: Omit<LoadOptions, 'request'>;
  /** Command-line arguments after the scenario name (`npm run bench -- posts --runtimes node20`). */
  args?: string[];
}

export interface BenchScenario {
  name: string;
  /** `table`, when given, is printed instead of the results' JSON (which still goes to the report). */
  run(ctx: BenchContext): Promise<{ results: Record<string, unknown>; ratios: Record<string, number>; table?: string }>;
}
