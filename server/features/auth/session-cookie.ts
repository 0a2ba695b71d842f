import type { Context } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';

/** The cookie that carries the session token for browsers (the same token as the Bearer header). */
export const SESSION_COOKIE = 'sid';

export interface SessionCookieOptions {
  /** `Secure` outside development (NODE_ENV=development serves plain http on localhost). */
  secure: boolean;
  /** Max-Age in seconds: the absolute lifetime; the server enforces the idle timeout itself. */
  maxAgeSeconds: number;
}

/** HttpOnly (no script reads it), SameSite=Lax (not sent on cross-site POSTs), Path=/. */
export function setSessionCookie(c: Context, token: string, opts: SessionCookieOptions): void {
  setCookie(c, SESSION_COOKIE, token, {
    httpOnly: true,
    sameSite: 'Lax',
    secure: opts.secure,
    path: '/',
    maxAge: opts.maxAgeSeconds,
  });
}

export function clearSessionCookie(c: Context, secure: boolean): void {
  deleteCookie(c, SESSION_COOKIE, { httpOnly: true, sameSite: 'Lax', secure, path: '/' });
}

export function readSessionCookie(c: Context): string | undefined {
  return getCookie(c, SESSION_COOKIE);
}
