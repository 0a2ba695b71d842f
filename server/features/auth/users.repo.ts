import type { Queryable } from '../../db/db.ts';
import { ROLES_COLUMNS, toUserRoles, type RolesRow, type UserRoles } from './roles.repo.ts';

/** A user row as the auth feature needs it; the password hash never leaves this feature. */
export interface UserRecord {
  id: number;
  email: string;
  passwordHash: string;
  /** Read in the same query, for login to mirror in Redis. */
  roles: UserRoles;
}

export interface UsersRepo {
  findByEmail(email: string): Promise<UserRecord | null>;
  /** Null when the email is taken (the unique constraint decides, so two racing sign-ups cannot both win). */
  create(email: string, passwordHash: string): Promise<{ id: number; email: string } | null>;
  setPasswordHash(id: number, passwordHash: string): Promise<void>;
  /** Locks the row until the transaction ends (FOR UPDATE): new posts by the user wait, then fail on their foreign key. */
  lockById(id: number): Promise<{ id: number; email: string } | null>;
  /** Deletes the row; its roles go with it (on delete cascade). Use inside the transaction that locked it. */
  remove(id: number): Promise<void>;
}

interface UserRow extends RolesRow {
  password_hash: string;
}

const toRecord = (r: UserRow): UserRecord => ({ id: r.id, email: r.email, passwordHash: r.password_hash, roles: toUserRoles(r) });

/** SQL for the `users` table (server/db/migrations/0001_users.sql). Emails arrive normalised (shared/auth.ts). */
export function createUsersRepo(db: Queryable): UsersRepo {
  return {
    async findByEmail(email) {
      const [row] = await db.query<UserRow>(`select id, email, password_hash, ${ROLES_COLUMNS} from users where email = $1`, [email]);
      return row ? toRecord(row) : null;
    },
    async create(email, passwordHash) {
      const [row] = await db.query<{ id: number; email: string }>(
        'insert into users (email, password_hash) values ($1, $2) on conflict (email) do nothing returning id, email',
        [email, passwordHash],
      );
      return row ?? null;
    },
    async setPasswordHash(id, passwordHash) {
      await db.query('update users set password_hash = $2 where id = $1', [id, passwordHash]);
    },
    async lockById(id) {
      const [row] = await db.query<{ id: number; email: string }>('select id, email from users where id = $1 for update', [id]);
      return row ?? null;
    },
    async remove(id) {
      await db.query('delete from users where id = $1', [id]);
    },
  };
}
