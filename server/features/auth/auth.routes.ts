import { Hono } from 'hono';
import {
  changePasswordInputSchema,
  credentialsSchema,
  passwordConfirmationSchema,
  registerInputSchema,
  sessionIdParamsSchema,
} from '../../../shared/auth.ts';
import type { Config } from '../../config.ts';
import type { AppEnv } from '../../http-env.ts';
import { refuseCrossSite } from '../../transport/origin.ts';
import { parseInput, readJson } from '../../transport/rest.ts';
import { clientOf, requireSession } from './auth.guards.ts';
import { clearSessionCookie, setSessionCookie } from './session-cookie.ts';
import type { AuthService } from './auth.service.ts';


/**
 * REST under /auth: the tutorial's login, logout and refresh, plus the rest of the session
 * surface. Thin: parse with the shared schema, call the auth service, shape the answer.
 * Described for OpenAPI in auth.openapi.ts.
 */
export function authRoutes(auth: AuthService, config: Config) {
  const secure = config.NODE_ENV !== 'development';
  // Login and register carry no credential, so the preflight's cookie check never sees them: they check the Origin themselves.
  const allowedOrigins = new Set(config.CSRF_ALLOWED_ORIGINS);

  return new Hono<AppEnv>()
    .basePath('/auth')
    .post('/register', async (c) => {
      refuseCrossSite(c, allowedOrigins, config.TRUST_PROXY);
      const input = await readJson(c, registerInputSchema);
      return c.json(await auth.register(input), 201);
    })
    .post('/login', async (c) => {
      refuseCrossSite(c, allowedOrigins, config.TRUST_PROXY);
      const input = await readJson(c, credentialsSchema);
      const { sessionId, user } = await auth.login(input, clientOf(c));
      // Browsers get the same token as an HttpOnly cookie; API clients use the body's sessionId.
      setSessionCookie(c, sessionId, { secure, maxAgeSeconds: config.SESSION_MAX_AGE_SECONDS });
      return c.json({ sessionId, user });
    })
    .post('/logout', async (c) => {
      await auth.logout(requireSession(c));
      clearSessionCookie(c, secure);
      return c.json({ message: 'Logged out successfully' });
    })
    .post('/refresh', async (c) => c.json(await auth.refresh(c.get('preflight').credential)))
    .get('/me', (c) => c.json(auth.me(requireSession(c))))
    .get('/sessions', async (c) => c.json(await auth.listSessions(requireSession(c))))
    .delete('/sessions/:id', async (c) => {
      const session = requireSession(c);
      const { id } = parseInput(sessionIdParamsSchema, c.req.param());
      const result = await auth.revokeSession(session, id);
      if (id === session.id) clearSessionCookie(c, secure);
      return c.json(result);
    })
    .post('/logout-all', async (c) => c.json(await auth.logoutAll(requireSession(c))))
    .post('/password', async (c) => {
      const session = requireSession(c);
      const input = await readJson(c, changePasswordInputSchema);
      return c.json(await auth.changePassword(session, input, clientOf(c)));
    })
    .delete('/account', async (c) => {
      const session = requireSession(c);
      const input = await readJson(c, passwordConfirmationSchema);
      const deleted = await auth.deleteAccount(session, input, clientOf(c));
      clearSessionCookie(c, secure);
      return c.json(deleted);
    });
}
