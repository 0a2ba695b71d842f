/** The authenticated caller, as middleware resolves it from a Bearer token or the `sid` cookie. */
export interface AuthSession {
  /** Public session id (never the token, nor derivable to it). */
  id: string;
  userId: number;
  email: string;
  roles: readonly string[];
}
