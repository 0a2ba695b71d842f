// The server's non-TypeScript files, which tsc does not emit: the SQL migrations and the Lua
// scripts, copied beside the compiled modules that read them (dist/server/db/migrations, ...).
import { cpSync, rmSync } from 'node:fs';

for (const dir of ['server/db/migrations', 'server/redis/scripts']) {
  rmSync(`dist/${dir}`, { recursive: true, force: true });
  cpSync(dir, `dist/${dir}`, { recursive: true });
}
