import { performance } from 'node:perf_hooks';

/**
 * Times the start-up phases, each from the end of the one before; the first from process start
 * (performance's time origin), so it covers loading the modules. The entry logs them once.
 */
export interface StartupPhases {
  /** Ends the phase `name` now. */
  end(name: string): void;
  /** Milliseconds per phase, in the order they ended, and their sum. */
  summary(): { phasesMs: Record<string, number>; totalMs: number };
}

export function startupPhases(now: () => number = () => performance.now()): StartupPhases {
  const phases = new Map<string, number>();
  let last = 0;
  return {
    end(name) {
      const t = now();
      phases.set(name, Math.round(t - last));
      last = t;
    },
    summary: () => ({ phasesMs: Object.fromEntries(phases), totalMs: Math.round(last) }),
  };
}
