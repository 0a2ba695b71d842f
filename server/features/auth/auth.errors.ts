import { AppError } from '../../errors.ts';
import type { Credential } from './auth.types.ts';

/**
 * The 401 for a call that needs a session and has none, saying why: nothing presented, a
 * malformed token, or a token with no live session (expired, revoked, made up). The code is
 * always UNAUTHORIZED; `details` names the credential that failed (`authorization`, `sid` or
 * `connectionParams`).
 */
export function authenticationRequired(credential: Credential | null): AppError {
  if (!credential) {
    return new AppError('UNAUTHORIZED', 'Authentication required: send Authorization: Bearer <sessionId> or the sid cookie');
  }
  if (!credential.token) {
    return new AppError('UNAUTHORIZED', 'Malformed session token', {
      details: [{ field: credential.source, message: 'expected a session token as issued by POST /auth/login' }],
    });
  }
  return new AppError('UNAUTHORIZED', 'Session expired or revoked: log in again', {
    details: [{ field: credential.source, message: 'no live session for this token' }],
  });
}

/** Unknown email and wrong password: one error, byte for byte, so the answer does not reveal which. */
export const invalidCredentials = () => new AppError('UNAUTHORIZED', 'Invalid email or password');
