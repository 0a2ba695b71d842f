import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';

/** The reference servers (read-only handbook): see anchors/README.md there. */
export const ANCHORS_DIR = process.env.BENCH_ANCHORS_DIR ?? '/work/shared/anchors';

/** Hash of every file under `dirs` (paths and contents): the key of a built copy. */
function hashTree(dirs: string[]): string {
  const hash = createHash('sha256');
  const walk = (root: string, dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) {
        if (entry.name !== 'node_modules' && entry.name !== 'dist') walk(root, path);
      } else if (statSync(path).isFile()) {
        hash.update(relative(root, path)).update('\0').update(readFileSync(path)).update('\0');
      }
    }
  };
  for (const d of dirs) walk(ANCHORS_DIR, d);
  return hash.digest('hex').slice(0, 16);
}

/**
 * A writable, installed (and built) copy of anchor folders, cached under the OS temp dir keyed by a
 * hash of their files (package-lock.json included), so repeated bench runs do not reinstall. The
 * copy is prepared in a scratch folder and renamed into place only once complete. Returns the
 * cached root, holding one sub-folder per copied anchor.
 */
function preparedCopy(name: string, folders: string[], build: (root: string) => void): string {
  const sources = folders.map((f) => join(ANCHORS_DIR, f));
  for (const s of sources) if (!existsSync(s)) throw new Error(`bench: anchor folder ${s} not found (BENCH_ANCHORS_DIR)`);
  const cacheRoot = join(tmpdir(), 'blog-bench-anchors');
  const target = join(cacheRoot, `${name}-${hashTree(sources)}`);
  if (existsSync(join(target, '.ready'))) return target;
  mkdirSync(cacheRoot, { recursive: true });
  const scratch = `${target}.tmp-${process.pid}`;
  rmSync(scratch, { recursive: true, force: true });
  for (const [i, s] of sources.entries()) cpSync(s, join(scratch, folders[i]!), { recursive: true });
  execFileSync('chmod', ['-R', 'u+w', scratch]);
  build(scratch);
  execFileSync('touch', [join(scratch, '.ready')]);
  rmSync(target, { recursive: true, force: true });
  renameSync(scratch, target);
  return target;
}

const npm = (cwd: string, ...args: string[]) => execFileSync('npm', args, { cwd, stdio: ['ignore', 'ignore', 'inherit'], timeout: 300_000 });

/** seed-nest, installed and compiled: run `node dist/main.js` in the returned folder. */
export function seedNest(): string {
  const root = preparedCopy('seed-nest', ['seed-nest'], (r) => {
    const dir = join(r, 'seed-nest');
    npm(dir, 'ci', '--no-audit', '--no-fund');
    npm(dir, 'exec', '--', 'tsc', '-p', 'tsconfig.json');
  });
  return join(root, 'seed-nest');
}

/** hono-hello with lib/ beside it, installed: run `mirror.mjs` (or `mirror-bun.mjs`) in the returned folder. */
export function honoHello(): string {
  const root = preparedCopy('hono-hello', ['hono-hello', 'lib'], (r) => npm(join(r, 'hono-hello'), 'ci', '--no-audit', '--no-fund'));
  return join(root, 'hono-hello');
}
