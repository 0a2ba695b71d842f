import { AsyncLocalStorage } from 'node:async_hooks';

/**
 * The request a piece of code runs for, carried through awaits. Services log with the app's
 * logger and still get the request id on every line, without threading a logger through each call.
 */
const scope = new AsyncLocalStorage<{ requestId: string }>();

export function runInRequestScope<T>(requestId: string, fn: () => T): T {
  return scope.run({ requestId }, fn);
}

/** The current request's id, or undefined outside a request (start-up, background work). */
export function currentRequestId(): string | undefined {
  return scope.getStore()?.requestId;
}
