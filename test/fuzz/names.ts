import fc from 'fast-check';
import { prototypeNames } from './inputs.ts';
import { restTargets, trpcTargets } from './targets.ts';

/**
 * The name alphabet: procedure paths and REST paths built from the real names, Object.prototype's
 * names and the two mixed (`posts.toString`, `constructor.posts.list`), for requests that reach
 * whatever looks names up (the router, the rate limiter's classifier) with a name it may not know.
 */

const procedures = trpcTargets().map((t) => t.name);
const routers = [...new Set(procedures.map((name) => name.split('.')[0]!))];
const strange = [...prototypeNames, 'prototype'];
const identifier = fc.stringMatching(/^[A-Za-z_$][A-Za-z0-9_$]{0,11}$/);

/** One tRPC procedure path: a real one, a prototype name, or the two joined by a dot. */
export const procedureName = fc.oneof(
  fc.constantFrom(...procedures),
  fc.constantFrom(...strange),
  fc.tuple(fc.constantFrom(...routers), fc.constantFrom(...strange)).map(([router, name]) => `${router}.${name}`),
  fc.tuple(fc.constantFrom(...strange), fc.constantFrom(...procedures)).map(([name, real]) => `${name}.${real}`),
  identifier,
);

/** The first segments of the REST routes (`posts`, `auth`, ...), without the tRPC endpoint. */
const segments = [...new Set(restTargets().map((t) => t.path.split('/')[1]!))].filter((s) => s !== '' && s !== 'trpc');

/** A REST path of one to three segments from the route names, prototype names and ids. */
export const restPath = fc
  .array(fc.oneof(fc.constantFrom(...segments), fc.constantFrom(...strange), fc.constantFrom('1', 'me', 'site'), identifier), { minLength: 1, maxLength: 3 })
  .filter((parts) => parts[0] !== 'trpc')
  .map((parts) => `/${parts.join('/')}`);

/** Whether the app serves a procedure by this exact path. */
export const isProcedure = (name: string) => procedures.includes(name);

/** What the rate limiter charges a request, as the docs state it (docs/api.md#rate-limiting): a policy and a cost, or nothing. */
export interface ExpectedCharge {
  policy: 'read' | 'write' | 'login' | 'register';
  cost: number;
}

/** tRPC: one unit per call, to the strictest group of the batch (login, then register, then the method's). */
export function trpcCharge(method: 'GET' | 'POST', calls: readonly string[]): ExpectedCharge {
  const policy = calls.includes('auth.login') ? 'login' : calls.includes('auth.register') ? 'register' : method === 'POST' ? 'write' : 'read';
  return { policy, cost: calls.length };
}

/** REST: the probes and the operational pages answered before the limiter spend nothing. */
export function restCharge(method: 'GET' | 'POST', path: string): ExpectedCharge | null {
  if (path === '/health' || path === '/metrics') return null;
  if (method === 'GET' && (path === '/docs' || path === '/openapi.json')) return null;
  if (method === 'POST' && path === '/auth/login') return { policy: 'login', cost: 1 };
  if (method === 'POST' && path === '/auth/register') return { policy: 'register', cost: 1 };
  return { policy: method === 'GET' ? 'read' : 'write', cost: 1 };
}
