import { execFileSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '..', '..');

interface Violation {
  from: string;
  to: string;
  rule: { name: string };
  cycle?: { name: string }[];
}

/** The roles a feature file may name after a dot (docs/architecture.md, "Files"). */
const roles = ['service', 'repo', 'store', 'routes', 'router', 'openapi', 'errors', 'guards'];
const featureFile = new RegExp(`^[a-z][a-z0-9]*(-[a-z0-9]+)*(\\.(${roles.join('|')}))?\\.ts$`);

describe('the house rules', () => {
  it('has no import circles and every import looks down (.dependency-cruiser.cjs)', () => {
    const out = execFileSync(join(root, 'node_modules', '.bin', 'depcruise'), ['server', 'client', 'shared', 'bench', 'test', '--config', '.dependency-cruiser.cjs', '--output-type', 'json'], {
      cwd: root,
      encoding: 'utf8',
      maxBuffer: 64 * 1024 * 1024,
    });
    const { summary } = JSON.parse(out) as { summary: { violations: Violation[]; totalCruised: number } };
    const seen = summary.violations.map((v) => `${v.rule.name}: ${v.from} -> ${v.to}${v.cycle ? ` (${v.cycle.map((c) => c.name).join(' -> ')})` : ''}`);
    expect(seen).toEqual([]);
    expect(summary.totalCruised).toBeGreaterThan(200); // it did read the tree
  }, 60_000);

  it('names feature files by one rule: <subject>.<role>.ts for the roles, kebab-case for the rest', () => {
    const dir = join(root, 'server', 'features');
    const files = readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.ts'));
    expect(files.length).toBeGreaterThan(50);
    expect(files.filter((f) => !featureFile.test(f.split('/').at(-1)!))).toEqual([]);
  });

  it('the naming rule refuses a dotted name that is no role', () => {
    for (const bad of ['events.hub.ts', 'ratelimit.classify.ts', 'Posts.service.ts', 'posts_repo.ts']) expect(featureFile.test(bad), bad).toBe(false);
    for (const good of ['posts.service.ts', 'session.store.ts', 'fill-guard.ts', 'auth.guards.ts']) expect(featureFile.test(good), good).toBe(true);
  });
});
