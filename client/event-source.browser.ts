import type { EventSource as EventSourcePolyfill } from 'eventsource';

/**
 * In a browser build, the browser's own EventSource: the `eventsource` package would add about
 * 9 KB that a browser does not need. It sends no custom headers (the token travels in connection
 * params either way); pass the package's class as `EventSource` to get them.
 */
export const EventSource = (globalThis as { EventSource?: unknown }).EventSource as typeof EventSourcePolyfill;
