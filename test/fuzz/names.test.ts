import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { z } from 'zod';
import { isProcedure, procedureName, restCharge, restPath, trpcCharge, type ExpectedCharge } from './names.ts';
import { changes, createFuzzWorld, fuzzRuns, fuzzSeed, fuzzTimeoutMs, readAnswer, restErrorSchema, trpcErrorAnswerSchema, type FuzzWorld } from './world.ts';

/**
 * Procedure and route names from the name alphabet (real names, Object.prototype's names, both
 * mixed), alone and in batches, with the rate limiter on. Properties: never a 5xx; every error in
 * its format; every request charged as documented (one unit per call, to the strictest group;
 * only the REST probes free); a request naming nothing that exists writes nothing but its
 * rate-limit window; Object.prototype stays clean.
 */

/** Each policy its own limit, so the headers tell which one was charged. */
const limits: Record<ExpectedCharge['policy'], number> = { read: 1000, write: 900, login: 800, register: 700 };

let world: FuzzWorld;
beforeAll(async () => {
  world = await createFuzzWorld({
    RATE_LIMIT_ENABLED: 'true',
    RATE_LIMIT_MAX: String(limits.read),
    RATE_LIMIT_WRITE: `${limits.write}/1m`,
    RATE_LIMIT_LOGIN: `${limits.login}/1m`,
    RATE_LIMIT_REGISTER: `${limits.register}/1h`,
    // Each request from an address of its own: a fresh budget, so `remaining` is its exact cost.
    TRUST_PROXY: '1',
  });
  console.log(`name fuzz: ${fuzzRuns * 4} tRPC and ${fuzzRuns * 4} REST requests, seed ${fuzzSeed} (FUZZ_SEED=${fuzzSeed} replays)`);
});
afterAll(() => world?.close());

let sent = 0;
const freshAddress = () => {
  sent++;
  return { 'x-forwarded-for': `10.${(sent >> 16) & 255}.${(sent >> 8) & 255}.${sent & 255}` };
};

/** What a request changed besides rate-limit windows (which every charged request writes). */
const changesBesidesLimits = (diff: string) =>
  diff
    .split('\n')
    .filter((line) => line !== '' && !line.startsWith(`redis ${world.t.config.REDIS_KEY_PREFIX}rl:`))
    .join('\n');

/**
 * Sends `method url` from a fresh address (a POST with an empty JSON object) and checks what every
 * answer must be: no 5xx, an error in `errorSchema`'s format, charged as `charge` says.
 */
async function send(method: 'GET' | 'POST', url: string, errorSchema: z.ZodType, charge: ExpectedCharge | null) {
  const res = await world.t.app.request(url, {
    method,
    headers: { ...freshAddress(), ...(method === 'POST' && { 'content-type': 'application/json' }) },
    ...(method === 'POST' && { body: '{}' }),
  });
  const answer = await readAnswer(res);
  const context = `${method} ${url} -> ${answer.status} ${answer.text.slice(0, 300)}`;
  expect(answer.status, context).toBeLessThan(500);
  if (answer.status >= 400) expect(errorSchema.safeParse(answer.json).success, context).toBe(true);
  expectCharged(res, charge, context);
  return { answer, context };
}

function expectCharged(res: Response, charge: ExpectedCharge | null, context: string) {
  if (!charge) {
    expect(res.headers.get('ratelimit-limit'), context).toBeNull();
    return;
  }
  expect(res.headers.get('ratelimit-limit'), `charged to ${charge.policy}: ${context}`).toBe(String(limits[charge.policy]));
  expect(res.headers.get('ratelimit-remaining'), `charged ${charge.cost}: ${context}`).toBe(String(limits[charge.policy] - charge.cost));
}

describe('names from the name alphabet, rate limiting on', () => {
  it('tRPC procedure paths, single and batched', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(procedureName, { minLength: 1, maxLength: 4 }),
        fc.constantFrom<'GET' | 'POST'>('GET', 'POST'),
        fc.boolean(),
        async (calls, method, batchOfOne) => {
          const batch = calls.length > 1 || batchOfOne;
          const url = `/trpc/${calls.join(',')}${batch ? '?batch=1' : ''}`;
          const unknownOnly = !calls.some(isProcedure);
          const before = unknownOnly ? await world.snapshot() : undefined;
          const { answer, context } = await send(method, url, trpcErrorAnswerSchema, trpcCharge(method, calls));
          if (unknownOnly) {
            expect(answer.status, `no such procedure: ${context}`).toBe(404);
            expect(changesBesidesLimits(changes(before!, await world.snapshot())), `wrote: ${context}`).toBe('');
          }
          // Writes a real procedure did not wait for (a view's send) land before the next snapshot.
          await world.afterRequest(undefined, 'anonymous', context);
        },
      ),
      { numRuns: fuzzRuns * 4, seed: fuzzSeed },
    );
  }, fuzzTimeoutMs);

  it('REST paths', async () => {
    await fc.assert(
      fc.asyncProperty(restPath, fc.constantFrom<'GET' | 'POST'>('GET', 'POST'), async (path, method) => {
        const before = await world.snapshot();
        const { answer, context } = await send(method, path, restErrorSchema, restCharge(method, path));
        // No route at all (the not-found handler, not a route's own 404 for a missing row).
        if (answer.text.includes('"No route for ')) {
          expect(changesBesidesLimits(changes(before, await world.snapshot())), `wrote: ${context}`).toBe('');
        }
        await world.afterRequest(undefined, 'anonymous', context);
      }),
      { numRuns: fuzzRuns * 4, seed: fuzzSeed },
    );
  }, fuzzTimeoutMs);
});
