import type { PGliteOptions } from '@electric-sql/pglite';

/**
 * PostgreSQL settings of the embedded PGlite, on top of PGlite's own start parameters.
 * shared_buffers is the one that matters for memory: PostgreSQL's default (128MB) is touched at
 * start and stays resident; 16MB keeps a blog's hot rows (the hot reads are Redis' anyway) and
 * saves about 150 MB resident (docs/operations.md, "Memory"). work_mem stays at its 4MB default.
 */
export const PGLITE_SETTINGS = ['shared_buffers=16MB'] as const;

/** The options every PGlite of this app opens with (the server, the admin command, the data directory's first start). */
export function pgliteOptions(defaultStartParams: readonly string[]): PGliteOptions {
  return { startParams: [...defaultStartParams, ...PGLITE_SETTINGS.flatMap((s) => ['-c', s])] };
}
