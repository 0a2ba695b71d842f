/** The lifecycle an app's parts share with the runtime entries: built by createApp, run by the entry. */

/** Background work an app owns; the entry starts it after listening and stops it on shutdown. */
export interface BackgroundTask {
  name: string;
  start(): void;
  /** Finishes the current unit of work (e.g. a last flush) and resolves when idle. */
  stop(): Promise<void>;
  /**
   * Ends the long-lived responses the task feeds (live event streams) when the server stops
   * accepting, so the server's close can finish; `stop()` still follows.
   */
  drain?(): void;
}

/** One-off work before serving (seeding, syncing Redis with config); the entry awaits it after migrations. */
export interface StartupTask {
  name: string;
  run(): Promise<void>;
}
