import type { Context } from 'hono';
import type { AppEnv } from '../../http-env.ts';
import type { AuthSession } from '../../identity.ts';
import { noSessionError, notAdminError } from './auth.errors.ts';
import type { ClientMeta } from './auth.service.ts';
import { ADMIN_ROLE } from './roles.ts';

/** The session the middleware resolved, or the 401 that says why there is none. */
export function requireSession(c: Context<AppEnv>): AuthSession {
  const { session, credential } = c.get('preflight');
  if (!session) throw noSessionError(credential);
  return session;
}

/** The session of a caller with the `admin` role; 401 without a session, 403 without the role. */
export function requireAdmin(c: Context<AppEnv>): AuthSession {
  const session = requireSession(c);
  if (!session.roles.includes(ADMIN_ROLE)) throw notAdminError();
  return session;
}

/** Who is calling, as the auth service records and throttles it. */
export const clientOf = (c: Context<AppEnv>): ClientMeta => ({ ip: c.get('clientIp'), userAgent: c.req.header('user-agent') ?? '', log: c.get('log') });
