import { Hono } from 'hono';
import { passwordConfirmationSchema } from '../../../shared/auth.ts';
import { userIdParamsSchema } from '../../../shared/posts.ts';
import type { Config } from '../../config.ts';
import type { AppEnv } from '../../http-env.ts';
import { parseInput, readJson } from '../../transport/rest.ts';
import { clientOf, requireAdmin } from './auth.guards.ts';
import { clearSessionCookie } from './session-cookie.ts';
import type { AuthService } from './auth.service.ts';

/**
 * REST for accounts as an admin sees them: `DELETE /users/:id` deletes one (its sessions and
 * posts with it), with the admin's own password in the body. Described in auth.openapi.ts.
 */
export function usersRoutes(auth: AuthService, config: Config) {
  const secure = config.NODE_ENV !== 'development';
  return new Hono<AppEnv>().delete('/users/:id', async (c) => {
    const admin = requireAdmin(c);
    const { id } = parseInput(userIdParamsSchema, c.req.param());
    const input = await readJson(c, passwordConfirmationSchema);
    const deleted = await auth.deleteUser(admin, id, input, clientOf(c));
    // An admin deleting their own account ends this session too.
    if (id === admin.userId) clearSessionCookie(c, secure);
    return c.json(deleted);
  });
}
