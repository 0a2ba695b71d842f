import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { badCredential } from './inputs.ts';
import { restCases, toRequest, type RestCase } from './rest-cases.ts';
import { restTargets } from './targets.ts';
import { createFuzzWorld, fuzzRuns, fuzzSeed, fuzzTimeoutMs, readAnswer, restErrorSchema, type Caller, type FuzzWorld } from './world.ts';

/**
 * Every REST route, with bad path ids, query strings, headers and bodies, from an anonymous caller
 * (half the time with a garbage credential) and from a logged-in one. Properties: never a 5xx;
 * every error in the one error shape; a body over the limit is a 413; an input the route's shared
 * schemas refuse is refused and writes nothing (Redis under the app's prefix, every SQL table);
 * Object.prototype stays clean; /health still answers after each route.
 */

const targets = restTargets();
let world: FuzzWorld;
beforeAll(async () => {
  world = await createFuzzWorld();
  console.log(`REST fuzz: ${targets.length} routes x 2 callers x ${fuzzRuns} runs, seed ${fuzzSeed} (FUZZ_SEED=${fuzzSeed} replays)`);
});
afterAll(() => world?.close());

async function check(c: RestCase, credential: Record<string, string>, caller: Caller) {
  const before = c.accepted ? undefined : await world.snapshot();
  const res = await world.t.app.request(toRequest(c, credential));
  const answer = await readAnswer(res);
  const context = `${c.method} ${c.url.slice(0, 200)} [${c.body?.label ?? 'no body'}] -> ${answer.status} ${answer.text.slice(0, 300)}`;
  expect(answer.status, context).toBeLessThan(500);
  if (c.body && c.body.bytes.length > world.bodyLimit) expect(answer.status, context).toBe(413);
  if (answer.status >= 400) {
    expect(answer.type, context).toMatch(/^application\/json/);
    expect(restErrorSchema.safeParse(answer.json).success, context).toBe(true);
  }
  if (!c.accepted) expect(answer.status, `refused by the schema, so an error: ${context}`).toBeGreaterThanOrEqual(400);
  await world.afterRequest(before, caller, context);
}

describe.each(['anonymous', 'session'] as const)('REST routes, %s caller', (caller) => {
  it.each(targets.map((target) => [target.name, target] as const))('%s', async (_, target) => {
    const credential = fc.option(badCredential, { nil: {} as Record<string, string> });
    await fc.assert(
      fc.asyncProperty(restCases(target, world.bodyLimit, caller === 'anonymous'), credential, async (c, cred) => {
        await check(c, caller === 'session' ? await world.sessionHeaders() : cred, caller);
      }),
      { numRuns: fuzzRuns, seed: fuzzSeed },
    );
    expect((await world.t.app.request('/health')).status).toBe(200);
  }, fuzzTimeoutMs);
});
