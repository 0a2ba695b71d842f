/** The load options every autocannon scenario takes. */
export interface LoadFlags {
  rounds: number;
  seconds: number;
  warmup: number;
  connections: number;
}

/** An integer flag's value within `min`..`max`, or an error naming the scenario. */
export function intFlag(scenario: string, flag: string, v: string | undefined, min: number, max: number): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < min || n > max) throw new Error(`bench ${scenario}: ${flag} expects an integer ${min}..${max} (got ${v})`);
  return n;
}

/** Applies one of the shared load flags to `opts` (reading its value only then); false when `flag` is none of them. */
export function loadFlag(scenario: string, opts: LoadFlags, flag: string, value: () => string | undefined): boolean {
  const bounds: Record<string, [keyof LoadFlags, number, number]> = {
    '--rounds': ['rounds', 1, 20],
    '--seconds': ['seconds', 1, 60],
    '--warmup': ['warmup', 0, 30],
    '--connections': ['connections', 1, 1000],
  };
  if (!Object.hasOwn(bounds, flag)) return false;
  const [key, min, max] = bounds[flag]!;
  opts[key] = intFlag(scenario, flag, value(), min, max);
  return true;
}
