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
import type { RouteDoc } from '../../openapi/route-doc.ts';

const tags = ['auth'];
export const badInput = { description: 'A field is missing, of the wrong type or too long (`details` names it)', schema: errorResponseSchema };
export const unauthorized = {
  description: 'No token, a malformed one, or one with no live session (expired, revoked); `details` names the credential',
  schema: errorResponseSchema,
};
const csrf = {
  description: 'Cookie-authenticated request from another origin (send `Authorization: Bearer` instead, or list the origin in CSRF_ALLOWED_ORIGINS)',
  schema: errorResponseSchema,
};
const foreignPage = {
  description: 'Sent from a page on another origin (its Origin or Referer is neither this site nor in CSRF_ALLOWED_ORIGINS)',
  schema: errorResponseSchema,
};
export const redisDown = { description: 'Redis, which holds the sessions, is not answering', schema: errorResponseSchema };
export const wrongPasswords = { description: 'Too many wrong passwords; see Retry-After', schema: errorResponseSchema };
export const accountDeletedAnswer = { description: 'Deleted: who, how many sessions ended and posts went with it', schema: accountDeletedSchema };

/** Every REST route under /auth, with the shared schemas the routes parse and answer with. */
export const authDocs: RouteDoc[] = [
  {
    method: 'post',
    path: '/auth/register',
    summary: 'Create an account (email is trimmed and lower-cased; password 8 to 128 characters)',
    tags,
    request: { body: registerInputSchema },
    responses: {
      201: { description: 'Created', schema: registerResultSchema },
      400: badInput,
      403: foreignPage,
      409: { description: 'The email is already registered', schema: errorResponseSchema },
    },
  },
  {
    method: 'post',
    path: '/auth/login',
    summary: 'Log in: answers the bearer token as `sessionId` and sets it as the HttpOnly `sid` cookie',
    tags,
    request: { body: credentialsSchema },
    responses: {
      200: { description: 'Logged in; send `Authorization: Bearer <sessionId>` from now on', schema: loginResultSchema },
      400: badInput,
      401: { description: 'Invalid email or password (the same answer for both)', schema: errorResponseSchema },
      403: foreignPage,
      429: { description: 'Too many failed logins for this email or address; see Retry-After', schema: errorResponseSchema },
      503: redisDown,
    },
  },
  {
    method: 'post',
    path: '/auth/logout',
    summary: 'End the current session (and clear the cookie)',
    tags,
    auth: true,
    responses: { 200: { description: 'Logged out', schema: messageSchema }, 401: unauthorized, 403: csrf, 503: redisDown },
  },
  {
    method: 'post',
    path: '/auth/refresh',
    summary: 'Extend the idle expiry now; never past the absolute lifetime',
    tags,
    auth: true,
    responses: { 200: { description: 'Refreshed', schema: refreshResultSchema }, 401: unauthorized, 403: csrf, 503: redisDown },
  },
  {
    method: 'get',
    path: '/auth/me',
    summary: 'The caller: user, roles and current session',
    tags,
    auth: true,
    responses: { 200: { description: 'The caller', schema: meSchema }, 401: unauthorized, 503: redisDown },
  },
  {
    method: 'get',
    path: '/auth/sessions',
    summary: "The caller's live sessions, the current one marked",
    tags,
    auth: true,
    responses: { 200: { description: 'Most recently used first', schema: sessionListSchema }, 401: unauthorized, 503: redisDown },
  },
  {
    method: 'delete',
    path: '/auth/sessions/:id',
    summary: "End one of the caller's sessions by its public id",
    tags,
    auth: true,
    request: { params: sessionIdParamsSchema },
    responses: {
      200: { description: 'Revoked', schema: revokedSchema },
      400: badInput,
      401: unauthorized,
      403: csrf,
      404: { description: 'The caller has no session with this id', schema: errorResponseSchema },
      503: redisDown,
    },
  },
  {
    method: 'post',
    path: '/auth/logout-all',
    summary: 'End every session of the caller except the current one',
    tags,
    auth: true,
    responses: { 200: { description: 'How many sessions ended', schema: revokedSchema }, 401: unauthorized, 403: csrf, 503: redisDown },
  },
  {
    method: 'post',
    path: '/auth/password',
    summary: 'Change the password; every other session of the caller ends',
    tags,
    auth: true,
    request: { body: changePasswordInputSchema },
    responses: {
      200: { description: 'Changed; how many other sessions ended', schema: revokedSchema },
      400: badInput,
      401: unauthorized,
      403: { description: 'The current password is wrong, or a cross-site cookie request', schema: errorResponseSchema },
      429: wrongPasswords,
      503: redisDown,
    },
  },
  {
    method: 'delete',
    path: '/auth/account',
    summary: "Delete the caller's account with its sessions and posts (and clear the cookie); needs the current password",
    tags,
    auth: true,
    request: { body: passwordConfirmationSchema },
    responses: {
      200: accountDeletedAnswer,
      400: badInput,
      401: unauthorized,
      403: { description: 'The password is wrong, or a cross-site cookie request', schema: errorResponseSchema },
      429: wrongPasswords,
      503: redisDown,
    },
  },
];
