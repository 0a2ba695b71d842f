import type { AccountDeleted } from '../../../shared/auth.ts';
import type { Db, Queryable } from '../../db/db.ts';
import type { Logger } from '../../logger.ts';
import type { Metrics } from '../../metrics/metrics.ts';
import type { SessionStore } from './session.store.ts';
import { createUsersRepo } from './users.repo.ts';

/** What other features hold of an account, for its deletion (wired in services.ts). */
export interface AccountData {
  /**
   * Deletes the user's rows of other features (their posts) inside the deletion's transaction;
   * `afterCommit` runs once it committed (cache fences, `post.deleted` events).
   */
  removeAllBy(tx: Queryable, userId: number): Promise<{ count: number; afterCommit(): Promise<void> }>;
  /** Redis keys of other features holding the user's data, under the user's hash tag (their activity list). */
  keysOf(userId: number): string[];
}

/** Nothing but the user row: for an auth service built alone (tests); the SQL cascade takes their posts. */
export const noAccountData: AccountData = {
  removeAllBy: async () => ({ count: 0, afterCommit: async () => {} }),
  keysOf: () => [],
};

export interface AccountDeletionOptions {
  db: Db;
  sessions: SessionStore;
  data: AccountData;
  metrics: Metrics;
}

/**
 * Deletes an account and everything it holds, in one SQL transaction:
 * 1. the user row is locked, so a post the user is creating meanwhile waits, then fails on its
 *    foreign key (a 401, posts.service.ts);
 * 2. their posts go (indexes kept in step), then the row (their roles cascade);
 * 3. last, still inside the transaction, Redis forgets them in one script: every session ends,
 *    their roles and activity go, and they are marked gone, so a login already past its password
 *    check gets no session. If Redis fails, the transaction rolls back and nothing is deleted;
 *    once it succeeded only the commit is left.
 * After the commit the posts' cache entries are fenced off and `post.deleted` goes out for each.
 * Null when there is no such user (nothing is written).
 */
export function createAccountDeletion({ db, sessions, data, metrics }: AccountDeletionOptions) {
  return async function deleteAccount(userId: number, log: Logger): Promise<AccountDeleted | null> {
    const deleted = await db.transaction(async (tx) => {
      const users = createUsersRepo(tx);
      const user = await users.lockById(userId);
      if (!user) return null;
      const posts = await data.removeAllBy(tx, userId);
      await users.remove(userId);
      const sessionsRevoked = await sessions.forget(userId, data.keysOf(userId));
      return { user, posts, sessionsRevoked };
    });
    if (!deleted) return null;
    await deleted.posts.afterCommit();
    metrics.sessionsRevoked('account_deleted', deleted.sessionsRevoked);
    log.info('account deleted', { userId, sessionsRevoked: deleted.sessionsRevoked, postsDeleted: deleted.posts.count });
    return {
      message: 'Account deleted, with its sessions and posts',
      user: deleted.user,
      sessionsRevoked: deleted.sessionsRevoked,
      postsDeleted: deleted.posts.count,
    };
  };
}
