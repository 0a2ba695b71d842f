/** The login throttle's budgets and delays (config: LOGIN_*). */
export interface LoginLimits {
  /** Failed attempts allowed per account from one address per window (LOGIN_MAX_FAILURES). */
  perAddress: number;
  /** Failed attempts allowed per account from all addresses per window (LOGIN_MAX_FAILURES_PER_EMAIL). */
  perAccount: number;
  /** Failed attempts allowed per address over all accounts per window (LOGIN_MAX_FAILURES_PER_IP). */
  perIp: number;
  /** The first delay (LOGIN_SLOWDOWN_MS). */
  slowdownMs: number;
  /** The longest delay (LOGIN_MAX_SLOWDOWN_MS). */
  maxSlowdownMs: number;
}

/** What the counters said about one attempt, this attempt included. */
export interface AttemptCounts {
  /** For this account from this address. */
  fromAddress: number;
  /** For this account from all addresses. */
  fromAll: number;
  /** This address logged in to this account before. */
  known: boolean;
  /** From this address over all accounts. */
  fromAddressAllAccounts: number;
}

/**
 * How long an attempt waits before its password is checked.
 *
 * - Past half of the address' own budget (for the account, or over all accounts): `slowdownMs`.
 * - The account's failures from all addresses beyond one address' budget double the delay for
 *   each further budget's worth (`slowdownMs`, 2x, 4x, ... up to `maxSlowdownMs`): guessing spread
 *   over many addresses gets slower and slower before it reaches the ceiling. An address the
 *   account logged in from before skips this part, so the owner is not slowed by others' guesses.
 */
export function loginDelayMs(counts: AttemptCounts, limits: LoginLimits): number {
  const ownHalfUsed = counts.fromAddress * 2 > limits.perAddress || counts.fromAddressAllAccounts * 2 > limits.perIp;
  const own = ownHalfUsed ? limits.slowdownMs : 0;
  if (counts.known) return own;
  // Whole per-address budgets used before this attempt, by every address together.
  const budgets = Math.floor((counts.fromAll - 1) / limits.perAddress);
  const spread = budgets < 1 ? 0 : Math.min(limits.maxSlowdownMs, limits.slowdownMs * 2 ** Math.min(budgets - 1, 30));
  return Math.max(own, spread);
}
