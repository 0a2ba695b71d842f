import type { AppError } from './errors.ts';
import type { AuthSession, Credential } from './identity.ts';
import type { Logger } from './logger.ts';

/** What the preflight found; the only thing later steps read of it. */
export interface PreflightResult {
  /** Null for anonymous callers. */
  session: AuthSession | null;
  /** The token the request presented (null: none) and, when `session` is null, why. */
  credential: Credential | null;
  /** The registered read with its values; `values` null when Redis did not answer. */
  read: { owner: unknown; values: (string | null)[] | null } | undefined;
  /** A tRPC request the rate limiter refused: raised for every call, in tRPC's error format. */
  refusal: AppError | undefined;
}

/** Hono's per-request variables: the request's context, then the preflight's one result. */
export interface AppEnv {
  Variables: {
    requestId: string;
    log: Logger;
    /** The caller's address as the rate limiter and audit logs see it. */
    clientIp: string;
    /** The response's headers, gathered in one plain object and written once (transport/response.ts). */
    headers: Record<string, string>;
    /** What the preflight step found (middleware/preflight.ts); `anonymous` before it. */
    preflight: PreflightResult;
  };
}
