import { AppError } from '../../errors.ts';
import type { Credential } from '../../identity.ts';
import { sessionStoreUnavailable } from './session.store.ts';

/**
 * The error for a call that needs a session and has none, saying why: 401 UNAUTHORIZED for no
 * token, a malformed one, or one with no live session (`details` names the credential:
 * `authorization`, `sid` or `connectionParams`); 403 for a cross-site cookie request; 503 when
 * Redis is down.
 */
export function noSessionError(credential: Credential | null): AppError {
  if (!credential) {
    return new AppError('UNAUTHORIZED', 'Authentication required: send Authorization: Bearer <sessionId> or the sid cookie');
  }
  switch (credential.problem) {
    case 'cross-site':
      return new AppError(
        'FORBIDDEN',
        'Cross-site request refused: a cookie-authenticated request that changes state needs an Origin or Referer ' +
          'from this site (or one listed in CSRF_ALLOWED_ORIGINS); API clients can send Authorization: Bearer instead',
      );
    case 'unavailable':
      return sessionStoreUnavailable(undefined);
    case 'malformed':
      return new AppError('UNAUTHORIZED', 'Malformed session token', {
        details: [{ field: credential.source, message: 'expected a session token as issued by POST /auth/login' }],
      });
    default:
      return new AppError('UNAUTHORIZED', 'Session expired or revoked: log in again', {
        details: [{ field: credential.source, message: 'no live session for this token' }],
      });
  }
}

/** A logged-in caller without the `admin` role (granted by the operator) calling an admin-only route or procedure: 403. */
export const notAdminError = () => new AppError('FORBIDDEN', 'Admin role required');

/** Unknown email and wrong password: one error, byte for byte, so the answer does not reveal which. */
export const invalidCredentials = () => new AppError('UNAUTHORIZED', 'Invalid email or password');
