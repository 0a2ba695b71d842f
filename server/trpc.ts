import { initTRPC, type AnyTRPCProcedure, type AnyTRPCRouter, type TRPCBuiltRouter } from '@trpc/server';
import type { Context } from './context.ts';
import { toAppError } from './errors.ts';
import { noSessionError, notAdminError } from './features/auth/auth.errors.ts';
import { ADMIN_ROLE } from './features/auth/roles.ts';

/**
 * The tRPC building blocks, created once. Every error leaves through the formatter, which adds
 * our error code, field details and retryAfter to `error.data`, the same fields REST answers with.
 */
const t = initTRPC.context<Context>().create({
  // Stacks go to the server log, never to clients.
  isDev: false,
  errorFormatter({ shape, error }) {
    const app = toAppError(error);
    return {
      ...shape,
      message: app.message,
      data: {
        ...shape.data,
        httpStatus: app.status,
        appCode: app.appCode,
        details: app.details,
        retryAfter: app.retryAfter,
      },
    };
  },
  sse: {
    // Comments every 15 s keep idle proxies from closing the stream.
    ping: { enabled: true, intervalMs: 15_000 },
    client: { reconnectAfterInactivityMs: 30_000 },
  },
});

export const router = t.router;
export const middleware = t.middleware;
export const createCallerFactory = t.createCallerFactory;
export const publicProcedure = t.procedure;

/** Procedures that need a logged-in caller; `ctx.session` is non-null inside. The error says why there is none (401, 403 or 503). */
export const authedProcedure = publicProcedure.use(function isAuthed(opts) {
  const { session } = opts.ctx;
  if (!session) throw noSessionError(opts.ctx.credential);
  return opts.next({ ctx: { session } });
});

/** Procedures for callers with the `admin` role (granted by the operator, read from the user's Redis set of roles with the session). */
export const adminProcedure = authedProcedure.use(function isAdmin(opts) {
  if (!opts.ctx.session.roles.includes(ADMIN_ROLE)) throw notAdminError();
  return opts.next();
});

/** The router's procedures, nested as the client calls them, with nothing of the server's context. */
type ProcedureTree<T> = { [K in keyof T]: T[K] extends AnyTRPCProcedure ? T[K] : ProcedureTree<T[K]> };
type RootTypes<R extends AnyTRPCRouter> = R['_def']['_config']['$types'];

/**
 * A router as a client sees it: the same procedures and error shape, its context erased. The
 * helper types stay private, so a declaration of the result is written out in full (naming no
 * server module) and a consumer's compiler never loads Redis, SQL or Hono types.
 */
export function forClients<R extends AnyTRPCRouter>(router: R) {
  return router as unknown as TRPCBuiltRouter<
    { ctx: object; meta: RootTypes<R>['meta']; errorShape: RootTypes<R>['errorShape']; transformer: RootTypes<R>['transformer'] },
    ProcedureTree<R['_def']['record']>
  >;
}
