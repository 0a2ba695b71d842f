import { execFile, spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../helpers/app.ts';

// The app's own metric families (its registry, not prom-client's process_* and nodejs_*) are
// named by Prometheus' rules, under one application prefix. `promtool check metrics` checks them
// too where it is installed (Debian: the `prometheus` package; or PROMTOOL=/path/to/promtool).
let t: TestApp;
let exposition: string;
beforeAll(async () => {
  t = await createTestApp();
  await t.app.request('/health');
  exposition = await t.deps.metrics.registry.metrics();
});
afterAll(() => t.close());

interface Family {
  name: string;
  type: string;
  help: string;
  labels: Set<string>;
}

function families(text: string): Family[] {
  const byName = new Map<string, Family>();
  const family = (name: string) => byName.get(name) ?? byName.set(name, { name, type: '', help: '', labels: new Set() }).get(name)!;
  for (const line of text.split('\n')) {
    const meta = /^# (HELP|TYPE) (\S+) (.*)$/.exec(line);
    if (meta) family(meta[2]!)[meta[1] === 'HELP' ? 'help' : 'type'] = meta[3]!;
  }
  for (const line of text.split('\n')) {
    const sample = /^([a-zA-Z_:][a-zA-Z0-9_:]*)\{(.*)\} \S+$/.exec(line);
    if (!sample) continue;
    const owner = [...byName.values()].find((f) => sample[1] === f.name || sample[1]!.startsWith(`${f.name}_`));
    for (const [, label] of sample[2]!.matchAll(/(\w+)="/g)) owner?.labels.add(label!);
  }
  return [...byName.values()];
}

const PREFIX = 'blog_api_';
const SNAKE = /^[a-z][a-z0-9]*(_[a-z0-9]+)*$/;
/** Prometheus wants base units (seconds, bytes) spelled out; these are what promtool's lint refuses. */
const NOT_BASE_UNITS = /_(ms|msec|milliseconds|us|microseconds|ns|nanoseconds|sec|secs|minutes|hours|days|kb|kilobytes|mb|megabytes|gb|gigabytes|percent)(_|$)/;

describe("the app's metric families", () => {
  it('are the documented ones, each under the blog_api_ prefix', () => {
    expect(families(exposition).map((f) => f.name).sort()).toEqual([
      'blog_api_cache_lookups_total',
      'blog_api_events_published_total',
      'blog_api_http_request_duration_seconds',
      'blog_api_live_events_read_total',
      'blog_api_live_subscribers',
      'blog_api_live_subscribers_ended_total',
      'blog_api_post_views_dropped_total',
      'blog_api_rate_limit_decisions_total',
      'blog_api_redis_command_errors_total',
      'blog_api_redis_connection_errors_total',
      'blog_api_redis_reconnects_total',
      'blog_api_sessions_created_total',
      'blog_api_sessions_revoked_total',
      'blog_api_trending_forget_failures_total',
      'blog_api_worker_backlog_items',
    ]);
  });

  it("follow Prometheus' naming rules: snake case, _total on counters only, base units, help text, plain label names", () => {
    const problems: string[] = [];
    for (const f of families(exposition)) {
      const say = (what: string) => problems.push(`${f.name}: ${what}`);
      if (!f.name.startsWith(PREFIX)) say(`no ${PREFIX} prefix`);
      if (!SNAKE.test(f.name)) say('not snake_case');
      if (!['counter', 'gauge', 'histogram', 'summary'].includes(f.type)) say(`type "${f.type}"`);
      if ((f.type === 'counter') !== f.name.endsWith('_total')) say(`a ${f.type} ${f.type === 'counter' ? 'without' : 'with'} the _total suffix`);
      if (f.type !== 'histogram' && f.type !== 'summary' && /_(count|sum|bucket)$/.test(f.name)) say('a reserved suffix');
      if (/_(counter|gauge|histogram|summary|metric)(_|$)/.test(f.name)) say('its type in its name');
      if (NOT_BASE_UNITS.test(f.name)) say('a unit that is not a base unit');
      if (f.type === 'histogram' && !/_(seconds|bytes|items)$/.test(f.name)) say('a histogram without a unit');
      if (!f.help.trim()) say('no help text');
      for (const label of f.labels) {
        if (!SNAKE.test(label)) say(`label "${label}" not snake_case`);
        if (label === 'quantile' || (label === 'le' && f.type !== 'histogram')) say(`reserved label "${label}"`);
      }
    }
    expect(problems).toEqual([]);
  });

  const promtool = process.env.PROMTOOL ?? 'promtool';
  const hasPromtool = spawnSync(promtool, ['--version']).status === 0;
  it.skipIf(!hasPromtool)('pass `promtool check metrics` (where promtool is installed)', async () => {
    const { code, output } = await new Promise<{ code: number | null; output: string }>((resolve) => {
      const child = execFile(promtool, ['check', 'metrics'], (err, stdout, stderr) =>
        resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, output: stdout + stderr }),
      );
      child.stdin!.end(exposition);
    });
    expect(output.trim()).toBe('');
    expect(code).toBe(0);
  });
});
