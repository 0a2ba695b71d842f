/** A value that counts as "the condition holds": anything but false, 0, '', null and undefined. */
export type Truthy<T> = Exclude<T, false | 0 | '' | null | undefined>;

export interface WaitOptions {
  /** The deadline, counted from the call. It bounds a failure, not the wait: be generous. Default 10 s. */
  timeoutMs?: number;
  /** The pause between two checks. Default 20 ms. */
  intervalMs?: number;
  /** The condition in words, as in "waiting until <what>". Default: the condition's source. */
  what?: string;
}

/** What `waitFor` throws at its deadline. */
export class WaitTimedOut extends Error {
  override name = 'WaitTimedOut';
}

/**
 * Checks `condition` (sync or async) until it returns a truthy value, and resolves with that
 * value: for state reached asynchronously (a key expiring, a message arriving, a connection
 * state). Past the deadline it throws a WaitTimedOut, `timed out after N ms waiting until <what>`.
 * An error thrown by the condition (a failed `expect`, say) ends the wait at once. A check in
 * progress is not interrupted: the test's own timeout bounds one that hangs.
 */
export async function waitFor<T>(condition: () => T | Promise<T>, { timeoutMs = 10_000, intervalMs = 20, what }: WaitOptions = {}): Promise<Truthy<T>> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const value = await condition();
    if (value) return value as Truthy<T>;
    const left = deadline - performance.now();
    if (left <= 0) throw new WaitTimedOut(`timed out after ${timeoutMs} ms waiting until ${what ?? String(condition)}`);
    await new Promise((resolve) => setTimeout(resolve, Math.min(intervalMs, left)));
  }
}

/**
 * Waits until the wall clock (`Date.now()`, the clock Redis' TIME reads too) reaches `epochMs`,
 * for a test that needs time to pass (an expiry, a window sliding); `point` names it in the
 * message. Anchored to a point rather than a duration: a late start only shortens the wait, and
 * a timer that fires early cannot end it too soon.
 */
export function clockReaches(epochMs: number, point: string): Promise<true> {
  return waitFor(() => Date.now() >= epochMs, { timeoutMs: Math.max(0, epochMs - Date.now()) + 10_000, intervalMs: 5, what: `the clock reaches ${point}` });
}
