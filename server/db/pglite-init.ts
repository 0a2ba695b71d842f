import { PGlite } from '@electric-sql/pglite';
import { pgliteOptions } from './pglite-settings.ts';

/**
 * Creates a PGlite data directory (initdb) and exits: run as a child process by db.ts when the
 * directory is new. PGlite's initdb runs a second WebAssembly instance whose memory (some 600 MB
 * resident) the process keeps; in a child, it is returned when the child exits.
 * Usage: node pglite-init.js <data directory>
 */
const dir = process.argv[2];
if (!dir) {
  process.stderr.write('usage: pglite-init <data directory>\n');
  process.exit(2);
}
const lite = new PGlite(dir, pgliteOptions(PGlite.defaultStartParams));
await lite.waitReady;
await lite.close();
