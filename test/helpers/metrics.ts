import type { BuiltApp } from '../../server/app.ts';

/**
 * The sum of the series named `name` whose labels include `labels`, read from a Prometheus text
 * exposition; undefined when no series matches (so "absent" and "zero" stay distinct).
 */
export function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  let total: number | undefined;
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const got = Object.fromEntries([...(m[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((x) => [x[1], x[2]]));
    if (Object.entries(labels).every(([k, v]) => got[k] === v)) total = (total ?? 0) + Number(m[3]);
  }
  return total;
}

/** GET /metrics on an in-process app; fails the test unless it answers 200. */
export async function scrape(app: BuiltApp['app'], headers: Record<string, string> = {}): Promise<string> {
  const res = await app.request('/metrics', { headers });
  if (res.status !== 200) throw new Error(`GET /metrics answered ${res.status}: ${await res.text()}`);
  return res.text();
}
