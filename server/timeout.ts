export class TimeoutError extends Error {
  override name = 'TimeoutError';
}

/**
 * Resolves or rejects like `promise`, or rejects with a TimeoutError after `ms`; a late outcome
 * of `promise` is absorbed. For calls whose caller has a tighter budget than the connection's
 * command timeout, e.g. a cache lookup that is worth less than a fast answer from SQL.
 *
 * The timer's rejection waits one more turn of the event loop (setImmediate): when the process
 * was too busy to read the socket in time, an answer that has already arrived is read first and
 * wins, so a CPU-bound moment does not turn into a burst of "Redis timed out".
 */
export function within<T>(promise: Promise<T>, ms: number, what = 'operation'): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => setImmediate(() => reject(new TimeoutError(`${what}: no answer within ${ms} ms`))), ms);
    promise.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (err: unknown) => {
        clearTimeout(timer);
        reject(err);
      },
    );
  });
}
