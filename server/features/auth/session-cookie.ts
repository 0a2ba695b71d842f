import type { Context } from 'hono';
import { deleteCookie, generateCookie, getCookie, setCookie } from 'hono/cookie';

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

const clearing = (secure: boolean) => ({ httpOnly: true, sameSite: 'Lax', secure, path: '/' }) as const;

export function clearSessionCookie(c: Context, secure: boolean): void {
  deleteCookie(c, SESSION_COOKIE, clearing(secure));
}

/** The Set-Cookie value that makes a browser drop the session cookie. */
export function clearedSessionCookie(secure: boolean): string {
  return generateCookie(SESSION_COOKIE, '', { ...clearing(secure), maxAge: 0 });
}

export function readSessionCookie(c: Context): string | undefined {
  return getCookie(c, SESSION_COOKIE);
}
