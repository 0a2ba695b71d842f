-- Roles, granted and revoked only by an operator (`npm run admin -- grant <email>`), never by
-- configuration or by registering an address (server/features/auth/roles.ts).
create table user_roles (
  user_id integer not null references users (id) on delete cascade,
  role text not null constraint user_roles_known check (role in ('admin')),
  granted_at timestamptz not null default now(),
  primary key (user_id, role)
);

-- Bumped in the transaction of every grant and revoke. Redis keeps each user's roles (read with the
-- session) with the version they were read at, and refuses an older one: a login that read the
-- roles before a revoke cannot write them back after it.
alter table users add column roles_version integer not null default 0;
