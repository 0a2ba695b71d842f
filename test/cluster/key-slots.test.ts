import { describe, expect, it } from 'vitest';
import { trendingWindows } from '../../shared/trending.ts';
import { ANALYTICS_GROUP } from '../../server/features/analytics/analytics.service.ts';
import { lastDays } from '../../server/features/analytics/calendar.ts';
import { countArguments } from '../../server/features/analytics/event-processor.ts';
import { windowLabel } from '../../server/features/ratelimit/limiter.ts';
import { mergedKeys, windowPlan } from '../../server/features/trending/trending-windows.ts';
import { createKeys, hourEpoch, HOUR_MS, type Keys } from '../../server/redis/keys.ts';
import { keySlot } from '../helpers/key-slot.ts';

// Static: no Redis. On a Redis Cluster the keys of one command, script or MULTI must be in one
// slot (else CROSSSLOT). For every place the app touches several keys at once, the keys are built
// here as that call site builds them, for sample ids, and must hash to one slot.

const now = Date.parse('2026-03-01T10:30:00Z');
const prefixes = ['blog:', 't:0a1b2c3d:'];
const users = [1, 7, 123_456];
const posts = [1, 42, 9_999_999];
const tokenHashes = ['3q2-7wAAAAA', 'AbCdEf0123456789'];
const identities = ['ip:203.0.113.7', 'ip:2001:db8::1', 'user:7'];
const tagSets = [['redis'], ['redis', 'cluster', 'a-b'], ['ünï', 'x']];

/** A name per multi-key call site, and the key groups it touches together, for one prefix. */
function groups(keys: Keys): Record<string, string[][]> {
  const hours = [hourEpoch(now), hourEpoch(now) - 1, hourEpoch(now) - 200];
  const days = lastDays(now, 8);
  return {
    // server/features/auth/session.store.ts: the session scripts also build record keys from sessionPrefix.
    'session-create-3.lua': users.flatMap((u) =>
      tokenHashes.map((h) => [keys.session(u, h), keys.userSessions(u), keys.userGone(u), keys.sessionPrefix(u) + 'other']),
    ),
    // server/features/auth/session.store.ts forget(), with the analytics feature's key of the user.
    'user-forget.lua': users.map((u) => [keys.userSessions(u), keys.userRoles(u), keys.userRolesVersion(u), keys.userGone(u), keys.activity(u), keys.sessionPrefix(u) + 'h']),
    // server/features/analytics/activity.ts
    'activity-push-2.lua': users.map((u) => [keys.activity(u), keys.userGone(u)]),
    // server/redis/preflight.ts: on a cluster each part of an entry is its own call (session, limit, reads).
    'preflight.lua, session part': users.flatMap((u) => tokenHashes.map((h) => [keys.session(u, h), keys.userSessions(u), keys.userRoles(u)])),
    'session-list-1.lua, session-revoke-1.lua': users.flatMap((u) => tokenHashes.map((h) => [keys.userSessions(u), keys.sessionPrefix(u) + h])),
    // server/features/auth/roles.ts: a user's roles and the version they were read at.
    'roles-write-2.lua': users.map((u) => [keys.userRoles(u), keys.userRolesVersion(u)]),
    // server/features/auth/login-throttle.ts: one account's counters and known-address marker.
    'login-account-attempt-3.lua, login-account-release-3.lua': ['a'.repeat(64), '0f'.repeat(32)].flatMap((h) =>
      ['203.0.113.7', '2001:db8::1', '{x}'].map((ip) => [keys.loginAccountAttempts(h), keys.loginAccountAttemptsFrom(h, ip), keys.loginKnownAddress(h, ip)]),
    ),
    // server/features/ratelimit/limiter.ts: one key per window, labelled by windowLabel.
    'preflight.lua, limit part': identities.map((id) => [60_000, 3_600_000, 86_400_000, 1000].map((ms) => keys.rateLimit('write', id, windowLabel(ms)))),
    // server/features/posts/post-cache.ts
    'cache-fill-2.lua, cache-invalidate-2.lua, preflight.lua reads': posts.flatMap((p) => [0, 1, 17].map((g) => [keys.postEntry(g, p), keys.postFence(p)])),
    // server/features/posts/list-cache.ts: MGET of the version and a page.
    'list cache MGET': ['all:p1:l20', 'tags-any:a,b:p1:l20', 'user:7:p1:l20'].map((q) => [keys.postListVersion(), keys.postListPage(3, 12, q)]),
    // server/features/posts/view-recorder.ts and views.store.ts
    'views-record-3.lua': hours.map((h) => [keys.viewsPending(), keys.trendingBucket(h), keys.authorBucket(h)]),
    'views-claim-3.lua, views-snapshot-3.lua': [[keys.viewsPending(), keys.viewsFlushing(), keys.viewsBatchSeq()]],
    // server/features/trending/trending.service.ts
    'trending-merge.lua': (['posts', 'authors'] as const).flatMap((kind) =>
      trendingWindows.map((w) => {
        const plan = windowPlan(keys, kind, w, now);
        return [plan.merged, ...plan.buckets];
      }),
    ),
    'trending-forget.lua': [[...windowPlan(keys, 'posts', '7d', now).buckets, ...windowPlan(keys, 'authors', '7d', now).buckets, ...mergedKeys(keys, now)]],
    // server/features/posts/post-index.ts (apply, tagged, authored) and server/features/geo/geo.service.ts
    'post-index.lua': posts.flatMap((p) =>
      tagSets.map((tags) => [
        keys.postIndexReady(),
        keys.postTags(p),
        keys.userPosts(users[1]!),
        keys.indexedTags(),
        keys.indexedAuthors(),
        keys.postLocations(),
        ...tags.map(keys.tagPosts),
      ]),
    ),
    'tags-query.lua': tagSets.map((tags) => [keys.postIndexReady(), ...tags.map(keys.tagPosts)]),
    'author query MULTI': users.map((u) => [keys.postIndexReady(), keys.userPosts(u)]),
    'geo MULTI': [[keys.postIndexReady(), keys.postLocations()]],
    // server/features/analytics/event-processor.ts: entries of three hours in one call.
    'event-count.lua': [
      (() => {
        const ids = [now - 2 * HOUR_MS, now - HOUR_MS, now].map((ms, i) => ({ id: `${ms}-${i}`, event: null }));
        const [numKeys, ...rest] = countArguments(keys, ANALYTICS_GROUP, ids);
        return rest.slice(0, numKeys) as string[];
      })(),
    ],
    // server/features/events/trending-announcer.ts: compare, remember and XADD in one script.
    'trending-announce-2.lua': trendingWindows.map((w) => [keys.trendingAnnounced(w), keys.events()]),
    // server/features/analytics/unique-visitors.ts: PFCOUNT over the week (and its cached count).
    'PFCOUNT of a week': posts.map((p) => [...days.map((d) => keys.postVisitors(p, d)), keys.postVisitorsWeek(p, days.at(-1)!)]),
    // server/features/analytics/active-users.ts: one MULTI of BITCOUNT and BITOP across days.
    'active users MULTI': [[...days.map(keys.activeUsers), ...days.map(keys.retainedUsers)]],
  };
}

describe('keys touched together share a Redis Cluster slot', () => {
  for (const prefix of prefixes) {
    for (const [site, keyGroups] of Object.entries(groups(createKeys(prefix)))) {
      it(`${site} (prefix ${prefix})`, () => {
        expect(keyGroups.length).toBeGreaterThan(0);
        for (const group of keyGroups) {
          expect(group.length, site).toBeGreaterThan(1);
          expect(new Set(group.map(keySlot)), group.join(' ')).toHaveProperty('size', 1);
        }
      });
    }
  }

  it('per-user, per-post and per-identity families spread over many slots (the tag is the id, not a constant)', () => {
    const keys = createKeys('blog:');
    const ids = Array.from({ length: 100 }, (_, i) => i + 1);
    for (const family of [(id: number) => keys.userSessions(id), (id: number) => keys.postFence(id), (id: number) => keys.rateLimit('read', `ip:192.0.2.${id}`), (id: number) => keys.postVisitors(id, '2026-03-01')]) {
      expect(new Set(ids.map((id) => keySlot(family(id)))).size).toBeGreaterThan(90);
    }
  });

  it('keySlot follows the cluster spec (CRC16-XMODEM test vector; hash tag rules)', () => {
    expect(keySlot('123456789')).toBe(0x31c3 % 16384);
    expect(keySlot('{user1000}.following')).toBe(keySlot('user1000'));
    expect(keySlot('foo{}{bar}')).toBe(keySlot('foo{}{bar}')); // an empty tag: the whole key is hashed
    expect(keySlot('foo{}{bar}')).not.toBe(keySlot('bar'));
    expect(keySlot('foo{{bar}}zap')).toBe(keySlot('{bar'));
  });
});
