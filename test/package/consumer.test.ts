import { build } from 'esbuild';
import { execFile } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../helpers/app.ts';
import { listen } from '../helpers/server.ts';

// The SDK as a separate project gets it: `npm pack` (prepack builds dist/), the tarball unpacked
// into a consumer's node_modules beside only the packages the SDK needs (linked from this
// repository's node_modules: offline), compiled under three stock tsconfigs, run against a live
// server, and bundled for a browser the way a front-end build would (esbuild, minified).
const run = promisify(execFile);
const repo = resolve(import.meta.dirname, '../..');
const tsc = join(repo, 'node_modules/.bin/tsc');
/** What the SDK needs at run time (@trpc/client, eventsource) and for its types (@trpc/server, zod); the rest is the consumer's own tooling. */
const linked = ['@trpc/client', '@trpc/server', 'zod', 'eventsource', '@types/node', 'vite'];
const BUNDLE_LIMIT_BYTES = 40 * 1024;

let dir: string;
let consumer: string;
let packed: { files: { path: string }[] };
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'blog-sdk-'));
  const { stdout } = await run('npm', ['pack', '--json', '--pack-destination', dir], { cwd: repo, maxBuffer: 16 << 20 });
  const [info] = JSON.parse(stdout.slice(stdout.indexOf('['))) as [{ filename: string; files: { path: string }[] }];
  packed = info;

  consumer = join(dir, 'consumer');
  cpSync(join(import.meta.dirname, 'consumer'), consumer, { recursive: true });
  writeFileSync(join(consumer, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }));
  const installed = join(consumer, 'node_modules/redis-blog-api');
  mkdirSync(installed, { recursive: true });
  await run('tar', ['-xzf', join(dir, info.filename), '-C', installed, '--strip-components=1']);
  for (const name of linked) {
    mkdirSync(dirname(join(consumer, 'node_modules', name)), { recursive: true });
    symlinkSync(join(repo, 'node_modules', name), join(consumer, 'node_modules', name), 'dir');
  }
}, 600_000);
afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('the packed SDK', () => {
  it('ships JavaScript and declarations for ./client and ./schemas, and no server code', () => {
    const files = packed.files.map((f) => f.path).sort();
    expect(files).toEqual(expect.arrayContaining(['package.json', 'dist/client/index.js', 'dist/client/index.d.ts', 'dist/shared/index.js', 'dist/shared/index.d.ts']));
    expect(files.filter((f) => f.startsWith('dist/server/'))).toEqual(['dist/server/client-router.d.ts']);
    expect(files.filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'))).toEqual([]);
  });

  // Each config compiles the same sources; a missing router type would turn the `@ts-expect-error`s in src/api.ts into errors.
  it.each([
    ['tsconfig.nodenext.json', 'strict NodeNext ES2022'],
    ['tsconfig.vite.json', "Vite's template: Bundler, erasableSyntaxOnly, DOM"],
    ['tsconfig.node20.json', 'Node 20 without the DOM library'],
  ])('compiles under %s (%s), loading no server module', async (config) => {
    const { stdout } = await run(tsc, ['-p', config, '--listFiles'], { cwd: consumer, maxBuffer: 16 << 20 }).catch((err: { stdout: string }) => {
      throw new Error(`tsc -p ${config} failed:\n${err.stdout}`);
    });
    const loaded = stdout.split('\n').filter(Boolean);
    const fromPackage = loaded.filter((f) => f.includes('/node_modules/redis-blog-api/'));
    expect(fromPackage.filter((f) => f.includes('/dist/server/')).map((f) => f.replace(/.*\/dist\//, ''))).toEqual(['server/client-router.d.ts']);
    expect(loaded.filter((f) => /\/(@types\/pg|pg|ioredis|hono|@electric-sql|prom-client|bun-types)\//.test(f))).toEqual([]);
    if (config === 'tsconfig.node20.json') expect(loaded.filter((f) => f.includes('lib.dom'))).toEqual([]);
  }, 240_000);

  it('runs against a live server: register, log in, create and get a post, log out', async () => {
    let app: TestApp | undefined;
    let server: Awaited<ReturnType<typeof listen>> | undefined;
    try {
      app = await createTestApp();
      server = await listen(app.app);
      // out/ was emitted by the NodeNext compile above (vitest runs a file's tests in order).
      const { stdout } = await run(process.execPath, ['out/node/main.js', server.url, 'Packed@Example.com'], { cwd: consumer });
      const outcome = JSON.parse(stdout) as Record<string, unknown>;
      expect(outcome).toEqual({
        registered: 'packed@example.com',
        loggedIn: 'packed@example.com',
        me: 'packed@example.com',
        created: expect.objectContaining({ id: expect.any(Number), title: 'From the tarball', tags: [] }),
        fetchedTitle: 'From the tarball',
        missing: 'NOT_FOUND',
        formAccepts: false,
        afterLogout: 'UNAUTHORIZED',
      });
    } finally {
      await server?.close();
      await app?.close();
    }
  }, 180_000);

  describe('in a browser bundle', () => {
    /** This repository's server/ (not @trpc/server, which the client's links use). */
    const ourServer = /(^|(?<!@trpc)\/)server\//;
    async function bundle(entry: string) {
      const result = await build({
        entryPoints: [entry],
        absWorkingDir: consumer,
        bundle: true,
        minify: true,
        format: 'esm',
        platform: 'browser',
        target: 'es2022',
        write: false,
        metafile: true,
        logLevel: 'silent',
      });
      return { bytes: result.outputFiles[0]!.contents.length, inputs: Object.keys(result.metafile.inputs) };
    }

    it(`is at most ${BUNDLE_LIMIT_BYTES / 1024} KB for an app that creates a client and calls one query: no server code, no zod, no EventSource polyfill`, async () => {
      const { bytes, inputs } = await bundle('browser/app.ts');
      expect(inputs).toContain('node_modules/redis-blog-api/dist/client/event-source.browser.js');
      expect(inputs.filter((f) => ourServer.test(f) || /\/(zod|eventsource)\//.test(f))).toEqual([]);
      expect(bytes).toBeLessThanOrEqual(BUNDLE_LIMIT_BYTES);
    });

    it('takes zod along only when the app imports redis-blog-api/schemas', async () => {
      const { inputs } = await bundle('browser/form.ts');
      expect(inputs.some((f) => f.includes('/zod/'))).toBe(true);
      expect(inputs.filter((f) => ourServer.test(f))).toEqual([]);
    });
  });
});
