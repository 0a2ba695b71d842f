import { AppError } from '../../errors.ts';

/**
 * Who holds a live stream, for the per-client cap: the user when signed in (however many
 * addresses they use), else the client address. The same names the rate limiter uses.
 */
export function streamHolder(userId: number | undefined, clientIp: string): string {
  return userId === undefined ? `ip:${clientIp}` : `user:${userId}`;
}

/** Seconds a refused client is told to wait: streams are long-lived, so a slot frees when one of its own closes. */
const PER_CLIENT_RETRY_AFTER = 5;

/**
 * The live streams each holder has open on this instance, capped at `maxPerHolder`
 * (EVENTS_MAX_STREAMS_PER_CLIENT), so one client cannot take every slot of the instance-wide cap.
 *
 * In process, not in Redis: the slots it shares out (EVENTS_MAX_SUBSCRIBERS, sockets, queues) are
 * this instance's, a count that dies with the process cannot leak, and admitting a stream costs no
 * round trip. A client spreading over N instances holds at most N x the cap, never a whole instance.
 */
export class StreamQuota {
  /** Holder -> streams open; a holder at zero is removed, so the map holds only live clients. */
  private readonly open = new Map<string, number>();

  constructor(private readonly maxPerHolder: number) {}

  /**
   * Counts one more stream for `holder`.
   * @throws AppError TOO_MANY_REQUESTS (429, retryAfter) when it already holds `maxPerHolder`.
   */
  take(holder: string): void {
    const held = this.open.get(holder) ?? 0;
    if (held >= this.maxPerHolder) {
      throw new AppError(
        'TOO_MANY_REQUESTS',
        `You already hold ${held} live event streams on this instance, the most one client may; close one first`,
        { retryAfter: PER_CLIENT_RETRY_AFTER },
      );
    }
    this.open.set(holder, held + 1);
  }

  /** Gives back one stream of `holder`; call exactly once per successful `take`. */
  give(holder: string): void {
    const held = this.open.get(holder) ?? 0;
    if (held <= 1) this.open.delete(holder);
    else this.open.set(holder, held - 1);
  }

  /** Holders with at least one stream open (what a leak would show). */
  get holders(): number {
    return this.open.size;
  }
}
