import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { badCredential } from './inputs.ts';
import { trpcCases, type TrpcCase } from './trpc-cases.ts';
import { trpcTargets } from './targets.ts';
import { createFuzzWorld, fuzzRuns, fuzzSeed, fuzzTimeoutMs, readAnswer, trpcErrorAnswerSchema, trpcStreamErrorSchema, type Caller, type FuzzWorld } from './world.ts';

/**
 * Every tRPC procedure (queries and subscriptions over GET, mutations over POST, batches, the wrong
 * method), from an anonymous caller (half the time with a garbage credential) and a logged-in one.
 * Properties: never a 5xx; every error in tRPC's format with our `data.appCode`; a body over the
 * limit is a 413; a request whose every call the procedure's input parser refuses is refused and
 * writes nothing; Object.prototype stays clean; /health still answers after each procedure.
 */

const targets = trpcTargets();
let world: FuzzWorld;
beforeAll(async () => {
  world = await createFuzzWorld();
  console.log(`tRPC fuzz: ${targets.length} procedures x 2 callers x ${fuzzRuns} runs, seed ${fuzzSeed} (FUZZ_SEED=${fuzzSeed} replays)`);
});
afterAll(() => world?.close());

async function check(c: TrpcCase, credential: Record<string, string>, caller: Caller) {
  const before = c.accepted ? undefined : await world.snapshot();
  const res = await world.t.app.request(`http://localhost${c.url}`, {
    method: c.method,
    headers: { ...c.headers, ...credential },
    ...(c.body && { body: c.body.bytes }),
  });
  const answer = await readAnswer(res, !c.accepted);
  const context = `${c.form} ${c.method} ${c.url.slice(0, 200)} [${c.body?.label ?? 'no body'}] -> ${answer.status} ${answer.text.slice(0, 300)}`;
  expect(answer.status, context).toBeLessThan(500);
  if (c.tooLarge) expect(answer.status, context).toBe(413);
  if (answer.status >= 400) {
    expect(answer.type, context).toMatch(/^application\/json/);
    expect(trpcErrorAnswerSchema.safeParse(answer.json).success, context).toBe(true);
  }
  if (!c.accepted && answer.type.startsWith('text/event-stream')) {
    // A subscription refuses inside its stream: 200, then one `serialized-error` event in the error format.
    const event = /event: serialized-error\ndata: (.*)\n/.exec(answer.text);
    expect(event, `refused subscription, so an error event: ${context}`).not.toBeNull();
    expect(trpcStreamErrorSchema.safeParse(JSON.parse(event![1]!)).success, context).toBe(true);
  } else if (!c.accepted) {
    expect(answer.status, `refused by the input parser, so an error: ${context}`).toBeGreaterThanOrEqual(400);
  }
  await world.afterRequest(before, caller, context);
}

describe.each(['anonymous', 'session'] as const)('tRPC procedures, %s caller', (caller) => {
  it.each(targets.map((target) => [target.name, target] as const))('%s', async (_, target) => {
    const credential = fc.option(badCredential, { nil: {} as Record<string, string> });
    await fc.assert(
      fc.asyncProperty(trpcCases(target, world.bodyLimit), credential, async (c, cred) => {
        await check(c, caller === 'session' ? await world.sessionHeaders() : cred, caller);
      }),
      { numRuns: fuzzRuns, seed: fuzzSeed },
    );
    expect((await world.t.app.request('/health')).status).toBe(200);
  }, fuzzTimeoutMs);
});
