import { AppError } from '../../errors.ts';
import type { Db } from '../../db/db.ts';
import type { Logger } from '../../logger.ts';
import type { RedisClient } from '../../redis/client.ts';
import type { Keys } from '../../redis/keys.ts';
import { createRolesRepo, type UserRoles } from './roles.repo.ts';

export const ADMIN_ROLE = 'admin';
/** Every role there is (the SQL check constraint lists the same). */
export const roleNames = [ADMIN_ROLE] as const;
export type RoleName = (typeof roleNames)[number];

export interface RolesOptions {
  redis: RedisClient;
  keys: Keys;
  db: Db;
  /** TTL of a user's Redis roles: SESSION_MAX_AGE, so they outlive every session that reads them. */
  ttlMs: number;
  logger: Logger;
}

/** What a grant or revoke did, for the operator. */
export interface RoleChangeResult {
  user: { id: number; email: string };
  roles: string[];
  changed: boolean;
}

/**
 * Roles live in SQL (`user_roles`) and change only by an operator's command (`npm run admin --
 * grant|revoke <email>`): never by configuration, never by registering an address, so no instance
 * can hand out or take back a role on its own. Each user's roles are mirrored in a Redis set that
 * the session lookup reads in the same round trip as the session (`ctx.session.roles`), written
 * with the SQL version they were read at (roles-write-2.lua refuses an older one).
 */
export interface Roles {
  /**
   * Mirrors roles read from SQL in Redis (at login). A user whose roles never changed (version 0)
   * has none and no set: no call is made.
   */
  publish(roles: UserRoles): Promise<void>;
  /** @throws AppError NOT_FOUND without an account; SERVICE_UNAVAILABLE when SQL changed but Redis did not take it. */
  grant(email: string, role: RoleName): Promise<RoleChangeResult>;
  /** As `grant`; live sessions lose the role at once. */
  revoke(email: string, role: RoleName): Promise<RoleChangeResult>;
  /** Users with at least one role, by id. */
  holders(): Promise<UserRoles[]>;
  /** Mirrors every user whose roles ever changed (Redis may have lost them), and drops what ADMIN_EMAILS left behind. */
  atStartup(): Promise<void>;
}

export function createRoles({ redis, keys, db, ttlMs, logger }: RolesOptions): Roles {
  const repo = createRolesRepo(db);

  async function publish({ userId, roles, version }: UserRoles): Promise<void> {
    if (version === 0) return;
    await redis.rolesWrite(keys.userRoles(userId), keys.userRolesVersion(userId), version, ttlMs, ...roles);
  }

  async function change(email: string, role: RoleName, op: 'grant' | 'revoke'): Promise<RoleChangeResult> {
    const result = await repo.change(email, role, op);
    if (!result) throw new AppError('NOT_FOUND', `No account for ${email}`);
    const { after, changed } = result;
    try {
      await publish(after);
    } catch (err) {
      throw new AppError(
        'SERVICE_UNAVAILABLE',
        `${op === 'grant' ? 'Granted' : 'Revoked'} in SQL, but Redis did not take it, so live sessions do not see it yet: run the command again once Redis answers`,
        { cause: err },
      );
    }
    logger.info(`role ${op === 'grant' ? 'granted' : 'revoked'}`, { userId: after.userId, role, changed });
    return { user: { id: after.userId, email: after.email }, roles: after.roles, changed };
  }

  return {
    publish,
    grant: (email, role) => change(email, role, 'grant'),
    revoke: (email, role) => change(email, role, 'revoke'),
    holders: async () => (await repo.everChanged()).filter((u) => u.roles.length > 0),

    async atStartup() {
      const users = await repo.everChanged();
      await Promise.all([...users.map(publish), redis.del(keys.legacyAdmins())]);
      if (users.length > 0) logger.info('roles mirrored from SQL', { users: users.length });
    },
  };
}
