import {
  accountDeletedSchema,
  changePasswordInputSchema,
  credentialsSchema,
  loginResultSchema,
  meSchema,
  messageSchema,
  passwordConfirmationSchema,
  refreshResultSchema,
  registerInputSchema,
  registerResultSchema,
  revokedSchema,
  sessionIdParamsSchema,
  sessionListSchema,
} from '../../../shared/auth.ts';
import { errorResponseSchema } from '../../../shared/errors.ts';
import { route, type HeaderDoc } from '../../openapi/route-doc.ts';

const tags = ['auth'];
export const badInput = { description: 'A field is missing, of the wrong type or too long (`details` names it)', schema: errorResponseSchema };
const csrf = {
  description: 'Cookie-authenticated request from another origin (send `Authorization: Bearer` instead, or list the origin in CSRF_ALLOWED_ORIGINS)',
  schema: errorResponseSchema,
};
const foreignPage = {
  description: 'Sent from a page on another origin (its Origin or Referer is neither this site nor in CSRF_ALLOWED_ORIGINS)',
  schema: errorResponseSchema,
};
export const redisDown = { description: 'Redis, which holds the sessions, is not answering', schema: errorResponseSchema };
const retryAfter = { 'Retry-After': { description: 'Seconds until another try is allowed', required: true, schema: { type: 'integer' } } } satisfies Record<string, HeaderDoc>;
export const wrongPasswords = { description: 'Too many wrong passwords; see Retry-After', schema: errorResponseSchema, headers: retryAfter };
const cookieSet = (description: string) => ({ 'Set-Cookie': { description, required: true, schema: { type: 'string' } } }) satisfies Record<string, HeaderDoc>;
const clearsCookie = cookieSet('`sid=; Max-Age=0`: the browser drops the session cookie');
const user = { id: 1, email: 'user@example.com' };
const session = { createdAt: '2026-01-15T09:30:00.000Z', lastSeenAt: '2026-01-15T09:45:00.000Z', expiresAt: '2026-01-16T09:45:00.000Z' };
const sessionId = 'Q2hhbmdlIG1lIHBsZWFzZQ';
const revoked = (message: string, n: number) => ({ message, revoked: n });
export const accountDeletedAnswer = {
  description: 'Deleted: who, how many sessions ended and posts went with it',
  schema: accountDeletedSchema,
  example: { message: 'Account deleted', user: { id: 2, email: 'user@example.com' }, sessionsRevoked: 1, postsDeleted: 3 },
};

export const register = route({
  method: 'post',
  path: '/auth/register',
  summary: 'Register',
  description: 'Creates an account. The email is trimmed and lower-cased; the password is 8 to 128 characters and is stored as an Argon2id hash.',
  tags,
  auth: false,
  request: { body: registerInputSchema, example: { email: 'user@example.com', password: 'password123' } },
  responses: {
    201: { description: 'Created', schema: registerResultSchema, example: { user } },
    400: badInput,
    403: foreignPage,
    409: { description: 'The email is already registered', schema: errorResponseSchema },
  },
});

export const login = route({
  method: 'post',
  path: '/auth/login',
  summary: 'Log in',
  description:
    'Answers the bearer token as `sessionId` (send `Authorization: Bearer <sessionId>` from now on) and sets the same token as the ' +
    'HttpOnly `sid` cookie for browsers. Failed logins are throttled per email and per address.',
  tags,
  auth: false,
  request: { body: credentialsSchema, example: { email: 'user@example.com', password: 'password123' } },
  responses: {
    200: {
      description: 'Logged in',
      schema: loginResultSchema,
      headers: cookieSet('`sid=<token>; HttpOnly; SameSite=Lax; Path=/; Max-Age=<SESSION_MAX_AGE_SECONDS>` (and `Secure` outside development)'),
      example: { sessionId: 'v1.4f1c2a9e8b7d6c5e4f3a2b1c0d9e8f7a', user },
    },
    400: badInput,
    401: { description: 'Invalid email or password (the same answer for both)', schema: errorResponseSchema },
    403: foreignPage,
    429: { description: 'Too many failed logins for this email or address; see Retry-After', schema: errorResponseSchema, headers: retryAfter },
    503: redisDown,
  },
});

export const logout = route({
  method: 'post',
  path: '/auth/logout',
  summary: 'Log out',
  description: 'Ends the current session and clears the cookie.',
  tags,
  auth: true,
  responses: {
    200: { description: 'Logged out', schema: messageSchema, headers: clearsCookie, example: { message: 'Logged out successfully' } },
    403: csrf,
    503: redisDown,
  },
});

export const refresh = route({
  method: 'post',
  path: '/auth/refresh',
  summary: 'Refresh the session',
  description: 'Extends the idle expiry from now; never past the absolute lifetime.',
  tags,
  auth: true,
  responses: {
    200: {
      description: 'Refreshed',
      schema: refreshResultSchema,
      example: { message: 'Session refreshed', expiresAt: session.expiresAt, absoluteExpiresAt: '2026-01-22T09:30:00.000Z' },
    },
    403: csrf,
    503: redisDown,
  },
});

export const me = route({
  method: 'get',
  path: '/auth/me',
  summary: 'Who am I',
  description: 'The caller: user, roles and current session.',
  tags,
  auth: true,
  responses: {
    200: {
      description: 'The caller',
      schema: meSchema,
      example: { user: { ...user, roles: [] }, session: { id: sessionId, ...session, absoluteExpiresAt: '2026-01-22T09:30:00.000Z' } },
    },
    503: redisDown,
  },
});

export const listSessions = route({
  method: 'get',
  path: '/auth/sessions',
  summary: 'List my sessions',
  description: "The caller's live sessions, most recently used first, the current one marked (a per-user sorted set, never a KEYS scan).",
  tags,
  auth: true,
  responses: {
    200: {
      description: 'Most recently used first',
      schema: sessionListSchema,
      example: { sessions: [{ id: sessionId, current: true, ...session, ip: '203.0.113.7', userAgent: 'curl/8.5.0' }] },
    },
    503: redisDown,
  },
});

export const revokeSession = route({
  method: 'delete',
  path: '/auth/sessions/:id',
  summary: 'End one of my sessions',
  description: "Ends one of the caller's sessions by its public id (as `GET /auth/sessions` lists it).",
  tags,
  auth: true,
  request: { params: sessionIdParamsSchema },
  responses: {
    200: { description: 'Revoked', schema: revokedSchema, example: revoked('Session revoked', 1) },
    400: badInput,
    403: csrf,
    404: { description: 'The caller has no session with this id', schema: errorResponseSchema },
    503: redisDown,
  },
});

export const logoutAll = route({
  method: 'post',
  path: '/auth/logout-all',
  summary: 'End my other sessions',
  description: 'Ends every session of the caller except the current one.',
  tags,
  auth: true,
  responses: {
    200: { description: 'How many sessions ended', schema: revokedSchema, example: revoked('Logged out of all other sessions', 2) },
    403: csrf,
    503: redisDown,
  },
});

export const changePassword = route({
  method: 'post',
  path: '/auth/password',
  summary: 'Change my password',
  description: 'Changes the password; every other session of the caller ends. Wrong current passwords are throttled like logins.',
  tags,
  auth: true,
  request: { body: changePasswordInputSchema, example: { currentPassword: 'password123', newPassword: 'a much longer passphrase' } },
  responses: {
    200: { description: 'Changed; how many other sessions ended', schema: revokedSchema, example: revoked('Password changed; other sessions ended', 1) },
    400: badInput,
    403: { description: 'The current password is wrong, or a cross-site cookie request', schema: errorResponseSchema },
    429: wrongPasswords,
    503: redisDown,
  },
});

export const deleteAccount = route({
  method: 'delete',
  path: '/auth/account',
  summary: 'Delete my account',
  description: "Deletes the caller's account with its sessions and posts, and clears the cookie. Needs the current password, even with a live session.",
  tags,
  auth: true,
  request: { body: passwordConfirmationSchema, example: { password: 'password123' } },
  responses: {
    200: { ...accountDeletedAnswer, headers: clearsCookie },
    400: badInput,
    403: { description: 'The password is wrong, or a cross-site cookie request', schema: errorResponseSchema },
    429: wrongPasswords,
    503: redisDown,
  },
});

/** Every REST operation under /auth. */
export const authDocs = [register, login, logout, refresh, me, listSessions, revokeSession, logoutAll, changePassword, deleteAccount];
