import { Hono } from 'hono';
import type { Config } from '../../config.ts';
import type { AppEnv } from '../../http-env.ts';
import { serve } from '../../transport/rest.ts';
import { clientOf, requireAdmin } from './auth.guards.ts';
import { clearSessionCookie } from './session-cookie.ts';
import type { AuthService } from './auth.service.ts';
import { deleteUser } from './users.openapi.ts';

/**
 * REST for accounts as an admin sees them: `DELETE /users/:id` deletes one (its sessions and
 * posts with it), with the admin's own password in the body. Defined in users.openapi.ts.
 */
export function usersRoutes(auth: AuthService, config: Config) {
  const secure = config.NODE_ENV !== 'development';
  const app = new Hono<AppEnv>();
  serve(
    app,
    deleteUser,
    async (c, { params, body, caller }) => {
      const deleted = await auth.deleteUser(caller, params.id, body, clientOf(c));
      // An admin deleting their own account ends this session too.
      if (params.id === caller.userId) clearSessionCookie(c, secure);
      return c.json(deleted);
    },
    requireAdmin,
  );
  return app;
}
