import { inspectRoutes } from 'hono/dev';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toOpenApiPath } from '../../server/openapi/document.ts';
import { appRouter } from '../../server/router.ts';
import { createTestApp, type TestApp } from '../helpers/app.ts';
import { restTargets, trpcTargets } from './targets.ts';

/**
 * The fuzzers take their targets from the route docs and the tRPC router. This fails when the app
 * serves something they would not reach: a REST route missing from the docs (and so from the
 * fuzzer), or a procedure the target list lost.
 */

/** Served, deliberately not fuzzed one by one, with the reason. */
const notFuzzedAsRoutes: Record<string, string> = {
  'ALL /trpc/*': 'the tRPC endpoint: fuzzed procedure by procedure (trpc.test.ts)',
  'GET /docs': 'a page (HTML answers only), takes no input',
  'GET /docs/assets/:file': "the reference page's two static files, by name from a fixed list",
  'GET /admin': 'a page (HTML answers only; test/dashboard/routes.test.ts checks who gets what)',
  'GET /admin/assets/:name': 'static files by name from a fixed list (test/dashboard/routes.test.ts probes unknown names)',
};

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(() => t.close());

describe('fuzz coverage', () => {
  it('every REST route the app serves is a fuzz target', () => {
    const served = inspectRoutes(t.app)
      .filter((r) => !r.isMiddleware)
      .map((r) => `${r.method} ${r.path}`)
      .filter((route) => !(route in notFuzzedAsRoutes));
    const fuzzed = restTargets().map((target) => target.name);
    expect(served.length).toBeGreaterThan(20);
    expect(new Set(fuzzed).size).toBe(fuzzed.length);
    expect([...served].sort()).toEqual([...fuzzed].sort());
    // An exemption for a route that is gone would hide nothing but mislead.
    const all = inspectRoutes(t.app).map((r) => `${r.method} ${r.path}`);
    for (const route of Object.keys(notFuzzedAsRoutes)) expect(all).toContain(route);
  });

  it('every tRPC procedure is a fuzz target, each with its type and input parsers', () => {
    const targets = trpcTargets();
    expect(targets.length).toBeGreaterThan(20);
    // Walk the router tree (not the flat _def.procedures the targets come from): every leaf is a procedure.
    const leaves: string[] = [];
    const walk = (node: Record<string, unknown>, prefix: string) => {
      for (const [key, value] of Object.entries(node)) {
        const path = prefix ? `${prefix}.${key}` : key;
        const def = (value as { _def?: { procedure?: boolean; record?: Record<string, unknown> } })._def;
        if (def?.procedure) leaves.push(path);
        else walk((def?.record ?? value) as Record<string, unknown>, path);
      }
    };
    walk(appRouter._def.record as Record<string, unknown>, '');
    expect(targets.map((target) => target.name).sort()).toEqual(leaves.sort());
    for (const target of targets) expect(['query', 'mutation', 'subscription']).toContain(target.type);
    // Every procedure that takes input has a zod parser the fuzzer can classify with.
    for (const target of targets) for (const input of target.inputs) expect(typeof input.safeParse, target.name).toBe('function');
  });

  it('the REST targets carry each documented schema, with paths the OpenAPI document uses', () => {
    for (const target of restTargets()) {
      expect(toOpenApiPath(target.path)).toMatch(/^\/[a-z/{}.-]*$/i);
      expect(target.path.includes(':'), target.name).toBe(target.params !== undefined);
    }
  });
});
