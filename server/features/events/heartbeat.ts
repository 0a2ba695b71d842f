/**
 * One timer for every plain SSE stream of an instance: it runs while at least one listener is
 * registered and is cleared with the last one, so timers do not grow with subscribers and none
 * is left when they are gone.
 */
export function createHeartbeat(intervalMs: number) {
  const listeners = new Set<() => void>();
  let timer: ReturnType<typeof setInterval> | undefined;

  return {
    /** Calls `listener` every interval until the returned function is called. */
    add(listener: () => void): () => void {
      listeners.add(listener);
      // Not unref'd: while a stream is open the process has work; shutdown ends the streams first.
      timer ??= setInterval(() => listeners.forEach((l) => l()), intervalMs);
      return () => {
        listeners.delete(listener);
        if (listeners.size === 0 && timer) {
          clearInterval(timer);
          timer = undefined;
        }
      };
    },
    stats: () => ({ listeners: listeners.size, timer: timer !== undefined }),
  };
}
