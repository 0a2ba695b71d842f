import type { AnyTestApp, TestApp } from '../helpers/app.ts';
import { jsonRequest } from '../helpers/app.ts';
import { grantAdmin } from '../auth/helpers.ts';
import { author, createPost } from '../posts/helpers.ts';

export const ADMIN = { email: 'ops@example.com', password: 'correct horse battery' };
export const MEMBER = { email: 'reader@example.com', password: 'correct horse battery' };

/** Posts with a location, their views, and who wrote them. */
const POSTS = [
  { title: 'Redis streams in practice', location: { longitude: 2.35, latitude: 48.86 }, views: 9, by: 0 },
  { title: 'Sorted sets for leaderboards', location: { longitude: -74.0, latitude: 40.71 }, views: 6, by: 1 },
  { title: 'HyperLogLog, counted', location: { longitude: 139.69, latitude: 35.69 }, views: 4, by: 0 },
  { title: 'Geo search near me', location: { longitude: -43.2, latitude: -22.9 }, views: 2, by: 2 },
  { title: 'Bitmaps for active users', location: { longitude: 151.21, latitude: -33.87 }, views: 1, by: 1 },
  { title: 'A post nobody read yet', location: null, views: 0, by: 2 },
] as const;

export interface Seeded {
  admin: { id: number; token: string };
  member: { id: number; token: string };
  posts: { id: number; title: string }[];
  /** The post with no views and no location: a view moves it into trending. */
  unread: { id: number; title: string };
}

/** One view of a post, as a reader's request counts it. */
export async function view(t: AnyTestApp, postId: number, headers: Record<string, string> = {}): Promise<void> {
  const res = await jsonRequest(t.app, 'GET', `/posts/${postId}`, undefined, headers);
  if (res.status !== 200) throw new Error(`view ${postId}: ${res.status}`);
  await res.body?.cancel();
}

/**
 * An admin, a member, three authors and six posts (five with a location) with views from several
 * readers, and a month of daily active users written straight into the day bitmaps (the app marks
 * only today's).
 */
export async function seedDashboard(t: TestApp): Promise<Seeded> {
  const admin = await author(t, ADMIN.email);
  await grantAdmin(t, ADMIN.email);
  const member = await author(t, MEMBER.email);
  const authors = [await author(t, 'ada@example.com'), await author(t, 'grace@example.com'), await author(t, 'edsger@example.com')];
  const posts = [];
  for (const p of POSTS) {
    const created = await createPost(t, authors[p.by]!.auth, { title: p.title, content: `About ${p.title}.`, location: p.location });
    posts.push({ id: created.id, title: created.title });
    for (let i = 0; i < p.views; i++) await view(t, created.id, i % 2 === 0 ? member.auth : authors[(p.by + 1) % 3]!.auth);
  }
  await t.services.posts.sendViews();
  // 30 days of history: user ids 1..n, a few more active each day.
  const { keys } = t.deps;
  const tx = t.redis.multi();
  for (let daysAgo = 1; daysAgo <= 34; daysAgo++) {
    const day = new Date(Date.now() - daysAgo * 86_400_000).toISOString().slice(0, 10);
    for (let user = 1; user <= 3 + ((daysAgo * 7) % 11); user++) tx.setbit(keys.activeUsers(day), user * 3 + (daysAgo % 2), 1);
    tx.pexpire(keys.activeUsers(day), 35 * 86_400_000);
  }
  await tx.exec();
  return { admin: { id: admin.id, token: admin.token }, member: { id: member.id, token: member.token }, posts, unread: posts.at(-1)! };
}
