import { z } from 'zod';
import { userIdParamsSchema } from './posts.ts';

/** Trimmed and lower-cased before it is checked, so `" A@Example.com "` and `"a@example.com"` are one account. */
export const emailSchema = z.string().trim().toLowerCase().max(254).pipe(z.email());

/** New passwords: 8 to 128 characters (NIST SP 800-63B's minimum; the cap bounds hashing work). */
export const newPasswordSchema = z.string().min(8).max(128);

/**
 * Passwords being checked: any non-empty string up to the cap. A too-short password at login is
 * a wrong password (401), not a 400 that would tell a guesser something about the account.
 */
export const passwordSchema = z.string().min(1).max(128);

export const credentialsSchema = z.object({ email: emailSchema, password: passwordSchema });
export type Credentials = z.input<typeof credentialsSchema>;

export const registerInputSchema = z.object({ email: emailSchema, password: newPasswordSchema });
export type RegisterInput = z.input<typeof registerInputSchema>;

export const changePasswordInputSchema = z.object({ currentPassword: passwordSchema, newPassword: newPasswordSchema });
export type ChangePasswordInput = z.input<typeof changePasswordInputSchema>;

export const userSchema = z.object({ id: z.number().int().positive(), email: z.string() });
export type User = z.infer<typeof userSchema>;

export const registerResultSchema = z.object({ user: userSchema });
export type RegisterResult = z.infer<typeof registerResultSchema>;

/**
 * The tutorial's login answer. `sessionId` is the bearer token: send it as
 * `Authorization: Bearer <sessionId>`. It is shown once and stored nowhere in plain form.
 */
export const loginResultSchema = z.object({ sessionId: z.string(), user: userSchema });
export type LoginResult = z.infer<typeof loginResultSchema>;

/** A public session id: random, never the token nor anything the token can be derived from. */
export const sessionIdSchema = z.string().regex(/^[A-Za-z0-9_-]{22}$/, { error: 'expected a 22-character session id' });

/** One of the caller's sessions, as `GET /auth/sessions` lists it. Times are ISO 8601 (UTC). */
export const sessionInfoSchema = z.object({
  id: sessionIdSchema,
  /** True for the session that made this request. */
  current: z.boolean(),
  createdAt: z.iso.datetime(),
  lastSeenAt: z.iso.datetime(),
  /** When it ends if unused: the idle expiry, never past the absolute one. */
  expiresAt: z.iso.datetime(),
  ip: z.string(),
  userAgent: z.string(),
});
export type SessionInfo = z.infer<typeof sessionInfoSchema>;

export const sessionListSchema = z.object({ sessions: z.array(sessionInfoSchema) });
export type SessionList = z.infer<typeof sessionListSchema>;

/** `GET /auth/me`: who is calling, with which roles, on which session. */
export const meSchema = z.object({
  user: userSchema.extend({ roles: z.array(z.string()) }),
  session: z.object({
    id: sessionIdSchema,
    createdAt: z.iso.datetime(),
    lastSeenAt: z.iso.datetime(),
    expiresAt: z.iso.datetime(),
    /** The absolute lifetime's end: no refresh goes past it. */
    absoluteExpiresAt: z.iso.datetime(),
  }),
});
export type Me = z.infer<typeof meSchema>;

export const refreshResultSchema = z.object({
  message: z.string(),
  expiresAt: z.iso.datetime(),
  absoluteExpiresAt: z.iso.datetime(),
});
export type RefreshResult = z.infer<typeof refreshResultSchema>;

export const messageSchema = z.object({ message: z.string() });

/** Logout-all, a revoked session, a changed password: how many sessions ended. */
export const revokedSchema = z.object({ message: z.string(), revoked: z.number().int().nonnegative() });
export type Revoked = z.infer<typeof revokedSchema>;

export const sessionIdParamsSchema = z.object({ id: sessionIdSchema });

/**
 * Deleting an account (the caller's own, or an admin deleting another) asks for the caller's
 * current password, even with a live session: a stolen session alone must not be enough.
 */
export const passwordConfirmationSchema = z.object({ password: passwordSchema });
export type PasswordConfirmation = z.input<typeof passwordConfirmationSchema>;

/** `auth.deleteUser`, an admin deleting an account: whose, and the admin's own password. */
export const deleteUserInputSchema = z.object({ userId: userIdParamsSchema.shape.id, password: passwordSchema });
export type DeleteUserInput = z.input<typeof deleteUserInputSchema>;

/** A deleted account: who it was, and what went with it (every session, every post). */
export const accountDeletedSchema = z.object({
  message: z.string(),
  user: userSchema,
  sessionsRevoked: z.number().int().nonnegative(),
  postsDeleted: z.number().int().nonnegative(),
});
export type AccountDeleted = z.infer<typeof accountDeletedSchema>;
