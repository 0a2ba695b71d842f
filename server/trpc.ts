import { initTRPC } from '@trpc/server';
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
