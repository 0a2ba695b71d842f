-- Posts: the source of truth behind the Redis cache (server/features/posts/). The app validates
-- every field (shared/posts.ts); the checks here keep rows written by anything else just as sane.
create table posts (
  -- Identity: the first post is 1, so the tutorial's GET /posts/1 addresses it; ids are never reused.
  id integer generated always as identity primary key,
  author_id integer not null references users (id) on delete cascade,
  title text not null constraint posts_title_length check (char_length(title) between 1 and 200),
  content text not null constraint posts_content_size check (octet_length(content) between 1 and 102400),
  tags text[] not null default '{}'
    constraint posts_tags_valid check (cardinality(tags) <= 10 and array_to_string(tags, ',') ~ '^([a-z0-9-]{1,32}(,|$))*$'),
  -- Redis GEO's limits (EPSG:3857): latitudes beyond +/-85.05112878 cannot be indexed.
  longitude double precision constraint posts_longitude_range check (longitude between -180 and 180),
  latitude double precision constraint posts_latitude_range check (latitude between -85.05112878 and 85.05112878),
  constraint posts_location_pair check ((longitude is null) = (latitude is null)),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  -- Views already flushed from Redis; the live figure adds what Redis still holds.
  views bigint not null default 0 constraint posts_views_nonnegative check (views >= 0),
  -- Bumped by every update: the cache's fence compares entries against it (no stale re-fill).
  version integer not null default 1 constraint posts_version_positive check (version >= 1)
);

-- GET /users/:id/posts, newest first.
create index posts_author_id on posts (author_id, id desc);
-- Tag queries when the Redis tag index is not ready: tags @> (all of) and tags && (any of).
create index posts_tags on posts using gin (tags);

-- One row per batch of views added to posts.views, written in the same transaction as the
-- increments. Batches are numbered in order and applied one at a time, so a batch whose number is
-- not above the highest applied one was applied already: a flusher that died between its SQL
-- commit and deleting the batch from Redis never counts it twice. Rows older than a day are
-- pruned (the highest one is always kept).
create table view_flushes (
  seq bigint primary key,
  posts integer not null,
  views bigint not null,
  flushed_at timestamptz not null default now()
);
create index view_flushes_flushed_at on view_flushes (flushed_at);
