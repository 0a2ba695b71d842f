import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../server/config.ts';
import { parseClusterNode } from '../../server/redis/client.ts';

describe('REDIS_CLUSTER_NODES', () => {
  it('is unset by default: one Redis server', () => {
    expect(loadConfig({}).REDIS_CLUSTER_NODES).toBeUndefined();
  });

  it('parses a comma list of host:port, trimmed, empty items dropped', () => {
    expect(loadConfig({ REDIS_CLUSTER_NODES: ' 10.0.0.1:7000, redis-a.internal:7001,,' }).REDIS_CLUSTER_NODES).toEqual([
      '10.0.0.1:7000',
      'redis-a.internal:7001',
    ]);
    expect(parseClusterNode('redis-a.internal:7001')).toEqual({ host: 'redis-a.internal', port: 7001 });
  });

  it.each(['10.0.0.1', 'redis://10.0.0.1:7000', '10.0.0.1:port', ',,'])('refuses %j naming the variable', (value) => {
    expect(() => loadConfig({ REDIS_CLUSTER_NODES: value })).toThrow(/^Invalid environment variable REDIS_CLUSTER_NODES: expected (host:port items|at least one host:port)/);
  });

  it('refuses a key prefix with braces on a cluster (it would override every key\'s hash tag), allows it on one server', () => {
    expect(() => loadConfig({ REDIS_CLUSTER_NODES: '127.0.0.1:7000', REDIS_KEY_PREFIX: '{blog}:' })).toThrow(
      'Invalid environment variable REDIS_KEY_PREFIX: expected no { or } with REDIS_CLUSTER_NODES (the keys carry their own hash tags) (got "{blog}:")',
    );
    expect(loadConfig({ REDIS_KEY_PREFIX: '{blog}:' }).REDIS_KEY_PREFIX).toBe('{blog}:');
  });

  it('is listed in .env.example and in the docs/configuration.md table', () => {
    expect(readFileSync('.env.example', 'utf8')).toMatch(/^REDIS_CLUSTER_NODES=$/m);
    expect(readFileSync('docs/configuration.md', 'utf8')).toContain('| `REDIS_CLUSTER_NODES` |');
  });
});
