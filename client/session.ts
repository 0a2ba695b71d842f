import type { Credentials, LoginResult } from '../shared/auth.ts';
import { apiError, createClient, type BlogClient, type ClientOptions } from './client.ts';

export interface SessionClientOptions extends Omit<ClientOptions, 'token'> {
  /** A token to start with, e.g. one restored from storage. */
  token?: string | null;
  /** Called whenever the token changes (login, logout): persist it here if it should survive a reload. */
  onTokenChange?: (token: string | null) => void;
}

export interface SessionClient {
  /** The typed client; every call carries the current token as `Authorization: Bearer`. */
  api: BlogClient;
  /** The current session token, or null when logged out. */
  readonly token: string | null;
  /** Logs in with `auth.login` and keeps the token for every later call. */
  login(credentials: Credentials): Promise<LoginResult>;
  /** Ends the session on the server (`auth.logout`) and forgets the token. */
  logout(): Promise<void>;
  setToken(token: string | null): void;
}

/**
 * A client that holds its own session: log in once, and later calls are authenticated.
 * @example
 * const session = createSessionClient({ url: 'http://localhost:3000' });
 * await session.login({ email: 'user@example.com', password: 'password123' });
 * const me = await session.api.auth.me.query();
 */
export function createSessionClient(opts: SessionClientOptions): SessionClient {
  let token = opts.token ?? null;
  const setToken = (next: string | null) => {
    token = next;
    opts.onTokenChange?.(next);
  };
  const api = createClient({ ...opts, token: () => token });
  return {
    api,
    get token() {
      return token;
    },
    async login(credentials) {
      const result = await api.auth.login.mutate(credentials);
      setToken(result.sessionId);
      return result;
    },
    async logout() {
      try {
        await api.auth.logout.mutate();
      } catch (err) {
        // Already expired or revoked: logged out all the same. Anything else (Redis down, no
        // network) leaves the session alive on the server, so keep the token and say so.
        if (apiError(err)?.code !== 'UNAUTHORIZED') throw err;
      }
      setToken(null);
    },
    setToken,
  };
}
