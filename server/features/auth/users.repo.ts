import type { Queryable } from '../../db/db.ts';

/** A user row as the auth feature needs it; the password hash never leaves this feature. */
export interface UserRecord {
  id: number;
  email: string;
  passwordHash: string;
}

export interface UsersRepo {
  findByEmail(email: string): Promise<UserRecord | null>;
  /** Null when the email is taken (the unique constraint decides, so two racing sign-ups cannot both win). */
  create(email: string, passwordHash: string): Promise<{ id: number; email: string } | null>;
  setPasswordHash(id: number, passwordHash: string): Promise<void>;
  /** The ids of those emails that have an account. */
  findIdsByEmails(emails: readonly string[]): Promise<{ id: number; email: string }[]>;
}

interface UserRow {
  id: number;
  email: string;
  password_hash: string;
}

const toRecord = (r: UserRow): UserRecord => ({ id: r.id, email: r.email, passwordHash: r.password_hash });

/** SQL for the `users` table (server/db/migrations/0001_users.sql). Emails arrive normalised (shared/auth.ts). */
export function createUsersRepo(db: Queryable): UsersRepo {
  return {
    async findByEmail(email) {
      const [row] = await db.query<UserRow>('select id, email, password_hash from users where email = $1', [email]);
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
    async findIdsByEmails(emails) {
      if (emails.length === 0) return [];
      return db.query<{ id: number; email: string }>('select id, email from users where email = any($1::text[]) order by id', [emails]);
    },
  };
}
