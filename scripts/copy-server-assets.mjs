// The server's non-TypeScript files, which tsc does not emit: the SQL migrations and the Lua
// scripts, copied beside the compiled modules that read them (dist/server/db/migrations, ...).
// Usage: node scripts/copy-server-assets.mjs [outDir, default dist]
import { cpSync, rmSync } from 'node:fs';

const outDir = process.argv[2] ?? 'dist';
for (const dir of ['server/db/migrations', 'server/redis/scripts']) {
  rmSync(`${outDir}/${dir}`, { recursive: true, force: true });
  cpSync(dir, `${outDir}/${dir}`, { recursive: true });
}
