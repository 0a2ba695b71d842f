-- Users: the source of truth for accounts. Sessions live in Redis (server/features/auth/session.store.ts).
-- Emails are stored trimmed and lower-cased (the check enforces it), so the plain unique
-- constraint is a case-insensitive one, and lookups use the index without lower().
create table users (
  id integer generated always as identity primary key,
  email text not null unique
    constraint users_email_normalized check (email = lower(btrim(email)) and length(email) between 3 and 254),
  -- PHC string, e.g. $argon2id$v=19$m=19456,t=2,p=1$<salt>$<hash>: the parameters travel with the hash.
  password_hash text not null,
  created_at timestamptz not null default now()
);
