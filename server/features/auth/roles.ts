import type { RedisClient } from '../../redis/client.ts';
import type { Logger } from '../../logger.ts';
import type { Keys } from '../../redis/keys.ts';
import type { UsersRepo } from './users.repo.ts';

export const ADMIN_ROLE = 'admin';

/** A user's roles follow from config: `admin` when their email is in ADMIN_EMAILS. */
export function rolesFor(email: string, adminEmails: readonly string[]): string[] {
  return adminEmails.includes(email) ? [ADMIN_ROLE] : [];
}

export interface RoleSyncOptions {
  redis: RedisClient;
  keys: Keys;
  adminEmails: readonly string[];
  /** TTL of a roles set: SESSION_MAX_AGE, so it outlives every session that reads it. */
  ttlMs: number;
  logger: Logger;
}

/**
 * Keeps each user's Redis set of roles in step with ADMIN_EMAILS. The session touch script reads
 * the set in the same round trip as the session, so `ctx.session.roles` costs nothing extra.
 */
export interface RoleSync {
  /** Rewrites one user's roles (at every login). */
  atLogin(userId: number, email: string): Promise<void>;
  /** Grants `admin` to every configured email with an account and takes it back from users no longer listed. */
  atStartup(users: UsersRepo): Promise<void>;
}

export function createRoleSync({ redis, keys, adminEmails, ttlMs, logger }: RoleSyncOptions): RoleSync {
  /** One MULTI per user: the user's roles key is the only key in it. */
  async function write(userId: number, roles: readonly string[]): Promise<void> {
    const tx = redis.multi().del(keys.userRoles(userId));
    if (roles.length > 0) tx.sadd(keys.userRoles(userId), ...roles).pexpire(keys.userRoles(userId), ttlMs);
    await tx.exec();
  }

  return {
    atLogin: (userId, email) => write(userId, rolesFor(email, adminEmails)),

    async atStartup(users) {
      const admins = await users.findIdsByEmails(adminEmails);
      const adminIds = new Set(admins.map((a) => String(a.id)));
      const previous = await redis.smembers(keys.admins());
      const demoted = previous.filter((id) => !adminIds.has(id));
      await Promise.all([
        ...demoted.map((id) => redis.srem(keys.userRoles(Number(id)), ADMIN_ROLE)),
        ...admins.map((a) =>
          redis.multi().sadd(keys.userRoles(a.id), ADMIN_ROLE).pexpire(keys.userRoles(a.id), ttlMs).exec(),
        ),
      ]);
      const tx = redis.multi().del(keys.admins());
      if (adminIds.size > 0) tx.sadd(keys.admins(), ...adminIds);
      await tx.exec();
      if (admins.length > 0 || demoted.length > 0) {
        logger.info('roles synced from ADMIN_EMAILS', { admins: admins.length, demoted: demoted.length });
      }
    },
  };
}
