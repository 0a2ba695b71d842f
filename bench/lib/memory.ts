import { readFileSync } from 'node:fs';

/** Resident memory of process `pid` now (VmRSS of /proc/<pid>/status), in MB. */
export function rssMb(pid: number): number {
  const kb = Number(/^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? NaN);
  return Math.round(kb / 1024);
}

/**
 * Whether resident memory grows across rounds of the same load: the least-squares slope over the
 * rounds (MB per round) and the change from the first round to the last. Flat: the slope is under
 * 2% of the first round's figure per round (a leak of a few MB per round shows; page-cache noise does not).
 */
export function rssTrend(perRound: number[]): { slopeMbPerRound: number; firstToLastMb: number; flat: boolean } {
  const n = perRound.length;
  if (n < 2) return { slopeMbPerRound: 0, firstToLastMb: 0, flat: true };
  const mx = (n - 1) / 2;
  const my = perRound.reduce((a, b) => a + b, 0) / n;
  let num = 0;
  let den = 0;
  perRound.forEach((y, x) => {
    num += (x - mx) * (y - my);
    den += (x - mx) ** 2;
  });
  const slope = num / den;
  return { slopeMbPerRound: Math.round(slope * 10) / 10, firstToLastMb: perRound[n - 1]! - perRound[0]!, flat: slope < 0.02 * perRound[0]! };
}
