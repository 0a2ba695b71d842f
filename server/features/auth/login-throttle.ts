import { createHash } from 'node:crypto';
import type { RedisClient } from '../../redis/client.ts';
import { AppError } from '../../errors.ts';
import type { Keys } from '../../redis/keys.ts';
import { loginDelayMs, type LoginLimits } from './login-delay.ts';
import { orUnavailable } from './session.store.ts';

/**
 * Brute-force protection for password checks that slows the attacker, not the account's owner
 * (OWASP Authentication Cheat Sheet: a lockout anyone can trigger is a denial of service):
 *
 * - per account AND address (`perAddress`, LOGIN_MAX_FAILURES): the tight limit. Guessing from one
 *   address is refused after a few failures; the owner, elsewhere, is not;
 * - per account from all addresses (`perAccount`, LOGIN_MAX_FAILURES_PER_EMAIL): a higher ceiling
 *   against guessing spread over many addresses, with a progressive delay on the way up
 *   (login-delay.ts). An address the account logged in from before is held to neither, so others'
 *   failures never lock the owner out where they usually log in;
 * - per address over all accounts (`perIp`, LOGIN_MAX_FAILURES_PER_IP): against one address
 *   trying many accounts.
 *
 * Each counter is reserved before the password is checked and given back on success
 * (login-account-*-3.lua for the account's, login-attempt-*-1.lua for the address'), so only
 * failures use up a budget and parallel guesses cannot overshoot it; past a budget the attempt is
 * refused with 429 and Retry-After until that window ends. Self-contained on purpose: it does not
 * depend on the general request rate limiter.
 */
export interface LoginThrottleOptions extends LoginLimits {
  redis: RedisClient;
  keys: Keys;
  windowMs: number;
  /** How long a successful login makes its address a known one for the account (SESSION_MAX_AGE). */
  knownAddressTtlMs: number;
}

export interface LoginAttempt {
  /** The password was right: give the reserved attempts back and remember the address. */
  succeeded(): Promise<void>;
}

export interface LoginThrottle {
  /** Reserves an attempt for this email and address, waiting first when slowed; throws 429 when refused. */
  begin(email: string, ip: string): Promise<LoginAttempt>;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export function createLoginThrottle(opts: LoginThrottleOptions): LoginThrottle {
  const { redis, keys } = opts;

  return {
    async begin(email, ip) {
      // Email addresses are hashed for the key names, so a dump does not list who was targeted.
      const account = createHash('sha256').update(email).digest('hex');
      const accountKeys = [keys.loginAccountAttempts(account), keys.loginAccountAttemptsFrom(account, ip), keys.loginKnownAddress(account, ip)] as const;
      const addressKey = keys.loginAddressAttempts(ip);
      // Two slots (the account's and the address'), so two scripts; auto-pipelining sends them in one round trip.
      const [byAccount, byAddress] = await orUnavailable(
        Promise.all([
          redis.loginAccountAttempt(...accountKeys, opts.windowMs, opts.perAddress, opts.perAccount),
          redis.loginAttempt(addressKey, opts.windowMs, opts.perIp),
        ]),
      );
      const [accountAllowed, fromAddress, fromAll, known, accountWaitMs] = byAccount;
      const [addressAllowed, addressCount, addressTtlMs] = byAddress;
      const release = (knownTtlMs: number) =>
        orUnavailable(
          Promise.all([
            accountAllowed === 1 && redis.loginAccountRelease(...accountKeys, knownTtlMs),
            addressAllowed === 1 && redis.loginAttemptRelease(addressKey),
          ]),
        ).then(() => {});

      if (accountAllowed === 0 || addressAllowed === 0) {
        // A refused attempt consumes nothing: give back what the other counter reserved.
        await release(0);
        const waitMs = Math.max(accountAllowed === 0 ? accountWaitMs : 0, addressAllowed === 0 ? addressTtlMs : 0);
        const retryAfter = Math.max(1, Math.ceil(waitMs / 1000));
        throw new AppError('TOO_MANY_REQUESTS', `Too many failed logins: try again in ${retryAfter} s`, { retryAfter });
      }

      // Before the check, so a fast answer does not mean a right password.
      const delayMs = loginDelayMs({ fromAddress, fromAll, known: known === 1, fromAddressAllAccounts: addressCount }, opts);
      if (delayMs > 0) await sleep(delayMs);
      return { succeeded: () => release(opts.knownAddressTtlMs) };
    },
  };
}
