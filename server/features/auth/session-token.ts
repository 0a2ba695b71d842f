import type { ParsedToken } from '../../identity.ts';
import { createHash, randomBytes } from 'node:crypto';

/**
 * Session tokens: `<userId>.<secret>`, where the secret is 32 bytes (256 bits) from the CSPRNG,
 * base64url-encoded (43 characters). The user id in front is not secret (it is the login
 * answer's `user.id`); it tells the server which user's keys to read, so one script call finds
 * the session, its per-user index and the roles (all under the hash tag `{u:<userId>}`, one
 * Redis Cluster slot) without a pointer lookup first.
 *
 * Redis only ever sees SHA-256 of the whole token (`tokenHash`). A 256-bit random secret needs
 * no salt or slow hash: nobody can guess a preimage, and a leaked dump logs nobody in.
 */
const tokenShape = /^([1-9][0-9]{0,9})\.([A-Za-z0-9_-]{43})$/;

export function newSessionToken(userId: number): string {
  return `${userId}.${randomBytes(32).toString('base64url')}`;
}

export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

/** Null when `token` is not shaped like one this server issues (no Redis call is made for those). */
export function parseSessionToken(token: string): ParsedToken | null {
  const match = tokenShape.exec(token);
  if (!match) return null;
  const userId = Number(match[1]);
  if (!Number.isSafeInteger(userId) || userId > 2_147_483_647) return null;
  return { userId, tokenHash: hashToken(token) };
}

/** A public session id: 16 random bytes, unrelated to the token, safe to show and to put in URLs. */
export function newPublicSessionId(): string {
  return randomBytes(16).toString('base64url');
}
