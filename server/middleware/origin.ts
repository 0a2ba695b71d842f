import type { Context } from 'hono';
import { AppError } from '../errors.ts';

/** The origin a request says it comes from: its Origin header, else its Referer's origin, else undefined. */
export function presentedOrigin(c: Context): string | undefined {
  const origin = c.req.header('origin');
  if (origin !== undefined) return origin;
  const referer = c.req.header('referer');
  return referer && URL.canParse(referer) ? new URL(referer).origin : undefined;
}

/** True when the request's Origin (else Referer) is this host or one of `allowedOrigins`; false when it sends neither. */
export function sameOrigin(c: Context, allowedOrigins: ReadonlySet<string>): boolean {
  const origin = presentedOrigin(c);
  if (!origin || origin === 'null' || !URL.canParse(origin)) return false;
  return allowedOrigins.has(origin) || new URL(origin).host === new URL(c.req.url).host;
}

/**
 * For the routes that act without a credential and so escape the preflight's cookie check (login,
 * register): a request from another site's page is a 403. Without it, a foreign page could sign
 * its visitor into the attacker's account (login CSRF). A request with neither Origin nor Referer
 * is not a browser's cross-site POST (browsers send Origin on those) and passes: curl, servers.
 */
export function refuseCrossSite(c: Context, allowedOrigins: ReadonlySet<string>): void {
  if (presentedOrigin(c) === undefined || sameOrigin(c, allowedOrigins)) return;
  throw new AppError(
    'FORBIDDEN',
    `Cross-site request refused: ${c.req.method} ${c.req.path} needs an Origin or Referer from this site ` +
      '(or one listed in CSRF_ALLOWED_ORIGINS), or none at all as API clients send',
  );
}
