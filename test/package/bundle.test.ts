import { build, type Metafile } from 'esbuild';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

// A browser app that creates a client and calls one query, bundled and minified the way a
// front-end build would: the SDK must stay small and carry no server code and no zod.
const repo = resolve(import.meta.dirname, '../..');
const LIMIT_BYTES = 40 * 1024;

async function bundle(contents: string): Promise<{ bytes: number; inputs: Metafile['inputs'] }> {
  const result = await build({
    stdin: { contents, resolveDir: repo, loader: 'ts', sourcefile: 'app.ts' },
    bundle: true,
    minify: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    write: false,
    metafile: true,
    logLevel: 'silent',
  });
  return { bytes: result.outputFiles[0]!.contents.length, inputs: result.metafile.inputs };
}

describe('a browser bundle of the client', () => {
  it(`is at most ${LIMIT_BYTES / 1024} KB minified, with no server code and no zod`, async () => {
    const { bytes, inputs } = await bundle(`
      import { createClient } from './client/index.ts';
      const api = createClient({ url: location.origin });
      api.posts.get.query({ id: 1 }).then((post) => console.log(post.data.title));
    `);
    const files = Object.keys(inputs);
    expect(files.filter((f) => f.startsWith('server/') || f.includes('node_modules/zod/'))).toEqual([]);
    expect(files).toContain('node_modules/@trpc/client/dist/index.mjs');
    expect(bytes).toBeLessThanOrEqual(LIMIT_BYTES);
  });

  it('takes zod along only when the app imports the schemas (redis-blog-api/schemas)', async () => {
    const { inputs } = await bundle(`
      import { createPostInputSchema } from './shared/index.ts';
      console.log(createPostInputSchema.safeParse({ title: '' }).success);
    `);
    expect(Object.keys(inputs).some((f) => f.includes('node_modules/zod/'))).toBe(true);
  });
});
