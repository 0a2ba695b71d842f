import type { Db } from '../../db/db.ts';

/** One user's roles as SQL has them, with the version they were read at (users.roles_version). */
export interface UserRoles {
  userId: number;
  email: string;
  roles: string[];
  /** Bumped by every grant and revoke; 0: the user never had a role. */
  version: number;
}

export interface RoleChange {
  after: UserRoles;
  /** False when the user already had (grant) or did not have (revoke) the role. */
  changed: boolean;
}

/** The columns that read a `users` row's roles with their version, for any query over `users`. */
export const ROLES_COLUMNS = 'roles_version, array(select role from user_roles r where r.user_id = users.id order by role) as roles';

export interface RolesRow {
  id: number;
  email: string;
  roles_version: number;
  roles: string[];
}

export const toUserRoles = (r: RolesRow): UserRoles => ({ userId: r.id, email: r.email, roles: r.roles, version: r.roles_version });

/** SQL for `user_roles` (server/db/migrations/0003_user_roles.sql). Emails arrive normalised (shared/auth.ts). */
export function createRolesRepo(db: Db) {
  const select = `select id, email, ${ROLES_COLUMNS} from users`;
  return {
    /**
     * Grants or revokes `role` in one transaction: the change, the version bump when something
     * changed, and the roles after it. Null when no account has the email.
     */
    change(email: string, role: string, op: 'grant' | 'revoke'): Promise<RoleChange | null> {
      return db.transaction(async (tx) => {
        // The row lock orders concurrent changes of one user's roles, so versions follow commits.
        const [user] = await tx.query<{ id: number }>('select id from users where email = $1 for update', [email]);
        if (!user) return null;
        const rows =
          op === 'grant'
            ? await tx.query('insert into user_roles (user_id, role) values ($1, $2) on conflict do nothing returning role', [user.id, role])
            : await tx.query('delete from user_roles where user_id = $1 and role = $2 returning role', [user.id, role]);
        if (rows.length > 0) await tx.query('update users set roles_version = roles_version + 1 where id = $1', [user.id]);
        const [after] = await tx.query<RolesRow>(`${select} where id = $1`, [user.id]);
        return { after: toUserRoles(after!), changed: rows.length > 0 };
      });
    },

    /** Every user whose roles ever changed (version > 0), with the roles they have now: few, by construction. */
    async everChanged(): Promise<UserRoles[]> {
      return (await db.query<RolesRow>(`${select} where roles_version > 0 order by id`)).map(toUserRoles);
    },
  };
}
