/**
 * The EventSource subscriptions use unless the caller passes one: the `eventsource` package's,
 * which runs on Node 20 (no global EventSource) and Bun, and sends its requests through `fetch`
 * with the client's headers. Browser builds get event-source.browser.ts instead (package.json
 * `browser` field).
 */
export { EventSource } from 'eventsource';
