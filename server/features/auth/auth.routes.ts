import type { Context } from 'hono';
import { Hono } from 'hono';
import type { Config } from '../../config.ts';
import type { AppEnv } from '../../http-env.ts';
import { refuseCrossSite } from '../../transport/origin.ts';
import { serve } from '../../transport/rest.ts';
import {
  changePassword,
  deleteAccount,
  listSessions,
  login,
  logout,
  logoutAll,
  me,
  refresh,
  register,
  revokeSession,
} from './auth.openapi.ts';
import { clientOf, requireSession } from './auth.guards.ts';
import { clearSessionCookie, setSessionCookie } from './session-cookie.ts';
import type { AuthService } from './auth.service.ts';

/**
 * REST under /auth: the tutorial's login, logout and refresh, plus the rest of the session
 * surface, each bound to its definition in auth.openapi.ts. Thin: the definition's schemas parse
 * the input, the auth service does the work.
 */
export function authRoutes(auth: AuthService, config: Config) {
  const secure = config.NODE_ENV !== 'development';
  // Login and register carry no credential, so the preflight's cookie check never sees them: they check the Origin themselves, before reading the body.
  const allowedOrigins = new Set(config.CSRF_ALLOWED_ORIGINS);
  const sameSite = (c: Context<AppEnv>) => refuseCrossSite(c, allowedOrigins, config.TRUST_PROXY);

  const app = new Hono<AppEnv>();
  serve(app, register, async (c, { body }) => c.json(await auth.register(body), 201), sameSite);
  serve(
    app,
    login,
    async (c, { body }) => {
      const { sessionId, user } = await auth.login(body, clientOf(c));
      // Browsers get the same token as an HttpOnly cookie; API clients use the body's sessionId.
      setSessionCookie(c, sessionId, { secure, maxAgeSeconds: config.SESSION_MAX_AGE_SECONDS });
      return c.json({ sessionId, user });
    },
    sameSite,
  );
  serve(
    app,
    logout,
    async (c, { caller }) => {
      await auth.logout(caller);
      clearSessionCookie(c, secure);
      return c.json({ message: 'Logged out successfully' });
    },
    requireSession,
  );
  serve(app, refresh, async (c) => c.json(await auth.refresh(c.get('preflight').credential)));
  serve(app, me, (c, { caller }) => c.json(auth.me(caller)), requireSession);
  serve(app, listSessions, async (c, { caller }) => c.json(await auth.listSessions(caller)), requireSession);
  serve(
    app,
    revokeSession,
    async (c, { params, caller }) => {
      const result = await auth.revokeSession(caller, params.id);
      if (params.id === caller.id) clearSessionCookie(c, secure);
      return c.json(result);
    },
    requireSession,
  );
  serve(app, logoutAll, async (c, { caller }) => c.json(await auth.logoutAll(caller)), requireSession);
  serve(app, changePassword, async (c, { body, caller }) => c.json(await auth.changePassword(caller, body, clientOf(c))), requireSession);
  serve(
    app,
    deleteAccount,
    async (c, { body, caller }) => {
      const deleted = await auth.deleteAccount(caller, body, clientOf(c));
      clearSessionCookie(c, secure);
      return c.json(deleted);
    },
    requireSession,
  );
  return app;
}
