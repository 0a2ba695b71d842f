/**
 * Orders two Redis stream ids (`<ms>-<seq>`, both decimal without leading zeros): negative when
 * `a` comes first, 0 when equal. Compared as digit strings, shorter first, so ids past 2^53 stay exact.
 */
export function compareStreamIds(a: string, b: string): number {
  const [aMs = '', aSeq = ''] = a.split('-');
  const [bMs = '', bSeq = ''] = b.split('-');
  return compareDigits(aMs, bMs) || compareDigits(aSeq, bSeq);
}

function compareDigits(a: string, b: string): number {
  if (a.length !== b.length) return a.length - b.length;
  return a < b ? -1 : a > b ? 1 : 0;
}
