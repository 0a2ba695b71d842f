import type { Location, Post } from '../../../shared/posts.ts';
import type { Queryable } from '../../db/db.ts';

/** A post with its SQL version, which the cache's fence compares entries against. */
export interface PostRecord {
  post: Post;
  version: number;
}

/** What a write needs to know about the row it is about to change (read under the row lock). */
export interface LockedPost {
  authorId: number;
  tags: string[];
  version: number;
}

export interface NewPost {
  title: string;
  content: string;
  tags: string[];
  location: Location | null;
}

/** The fields to change; `location: null` removes it, `undefined` keeps any field as it is. */
export type PostPatch = Partial<NewPost>;

/** Which posts a list page shows; newest (highest id) first. */
export type PostFilter =
  | { kind: 'all' }
  | { kind: 'tags'; tags: readonly string[]; mode: 'all' | 'any' }
  | { kind: 'author'; authorId: number };

interface PostRow {
  id: number;
  author_id: number;
  title: string;
  content: string;
  tags: string[];
  longitude: number | null;
  latitude: number | null;
  created_at: Date;
  updated_at: Date;
  version: number;
}

const COLUMNS = 'id, author_id, title, content, tags, longitude, latitude, created_at, updated_at, version';

const locationOf = (r: Pick<PostRow, 'longitude' | 'latitude'>): Location | null =>
  r.longitude === null || r.latitude === null ? null : { longitude: r.longitude, latitude: r.latitude };

function toPost(r: PostRow): Post {
  return {
    id: r.id,
    authorId: r.author_id,
    title: r.title,
    content: r.content,
    tags: r.tags,
    location: locationOf(r),
    createdAt: r.created_at.toISOString(),
    updatedAt: r.updated_at.toISOString(),
  };
}

const toRecord = (r: PostRow): PostRecord => ({ post: toPost(r), version: r.version });

/** The WHERE clause of a filter and its parameter, numbered after `first - 1` others. */
function where(filter: PostFilter, first: number): { sql: string; params: unknown[] } {
  switch (filter.kind) {
    case 'all':
      return { sql: '', params: [] };
    case 'tags':
      // GIN index: @> is "has all of", && is "has any of".
      return { sql: `where tags ${filter.mode === 'all' ? '@>' : '&&'} $${first}::text[]`, params: [filter.tags] };
    case 'author':
      return { sql: `where author_id = $${first}`, params: [filter.authorId] };
  }
}

/** SQL for `posts` and `view_flushes` (server/db/migrations/0002_posts.sql). Bigints arrive as strings from pg. */
export function createPostsRepo(db: Queryable) {
  return {
    async findById(id: number): Promise<PostRecord | null> {
      const [row] = await db.query<PostRow>(`select ${COLUMNS} from posts where id = $1`, [id]);
      return row ? toRecord(row) : null;
    },

    /** The posts among `ids` that exist, newest first. */
    async findByIds(ids: readonly number[]): Promise<Post[]> {
      if (ids.length === 0) return [];
      const rows = await db.query<PostRow>(`select ${COLUMNS} from posts where id = any($1::int[]) order by id desc`, [ids]);
      return rows.map(toPost);
    },

    async page(filter: PostFilter, limit: number, offset: number): Promise<{ posts: Post[]; total: number }> {
      const w = where(filter, 3);
      const [rows, [count]] = await Promise.all([
        db.query<PostRow>(`select ${COLUMNS} from posts ${w.sql} order by id desc limit $1 offset $2`, [limit, offset, ...w.params]),
        db.query<{ n: number }>(`select count(*)::int as n from posts ${where(filter, 1).sql}`, w.params),
      ]);
      return { posts: rows.map(toPost), total: count?.n ?? 0 };
    },

    async userExists(id: number): Promise<boolean> {
      return (await db.query('select 1 from users where id = $1', [id])).length > 0;
    },

    /** Every post's id, author, tags and location, for rebuilding the Redis indexes. */
    async allForIndex(): Promise<{ id: number; authorId: number; tags: string[]; location: Location | null }[]> {
      const rows = await db.query<Pick<PostRow, 'id' | 'author_id' | 'tags' | 'longitude' | 'latitude'>>(
        'select id, author_id, tags, longitude, latitude from posts order by id',
      );
      return rows.map((r) => ({
        id: r.id,
        authorId: r.author_id,
        tags: r.tags,
        location: locationOf(r),
      }));
    },

    async insert(authorId: number, p: NewPost): Promise<PostRecord> {
      const [row] = await db.query<PostRow>(
        `insert into posts (author_id, title, content, tags, longitude, latitude)
         values ($1, $2, $3, $4::text[], $5::float8, $6::float8) returning ${COLUMNS}`,
        [authorId, p.title, p.content, p.tags, p.location?.longitude ?? null, p.location?.latitude ?? null],
      );
      return toRecord(row!);
    },

    /** Locks the row until the transaction ends (FOR UPDATE), so writes to one post take turns. */
    async lockForWrite(id: number): Promise<LockedPost | null> {
      const [row] = await db.query<{ author_id: number; tags: string[]; version: number }>(
        'select author_id, tags, version from posts where id = $1 for update',
        [id],
      );
      return row ? { authorId: row.author_id, tags: row.tags, version: row.version } : null;
    },

    /** Applies `patch` and bumps the version; the row must exist (lock it first). */
    async update(id: number, patch: PostPatch): Promise<PostRecord> {
      const [row] = await db.query<PostRow>(
        `update posts set
           title = coalesce($2, title),
           content = coalesce($3, content),
           tags = coalesce($4::text[], tags),
           longitude = case when $5::boolean then $6::float8 else longitude end,
           latitude = case when $5::boolean then $7::float8 else latitude end,
           version = version + 1,
           updated_at = now()
         where id = $1 returning ${COLUMNS}`,
        [
          id,
          patch.title ?? null,
          patch.content ?? null,
          patch.tags ?? null,
          patch.location !== undefined,
          patch.location?.longitude ?? null,
          patch.location?.latitude ?? null,
        ],
      );
      return toRecord(row!);
    },

    async remove(id: number): Promise<void> {
      await db.query('delete from posts where id = $1', [id]);
    },

    /** Deletes every post of `authorId`; what the indexes and the cache need of each. */
    async removeByAuthor(authorId: number): Promise<{ id: number; tags: string[]; version: number }[]> {
      return db.query('delete from posts where author_id = $1 returning id, tags, version', [authorId]);
    },

    /** The flushed view total of a post and the highest batch SQL has applied, read together. */
    async viewTotal(id: number): Promise<{ views: number; appliedSeq: number } | null> {
      const [row] = await db.query<{ views: number | string; applied: number | string }>(
        'select views, (select coalesce(max(seq), 0) from view_flushes) as applied from posts where id = $1',
        [id],
      );
      return row ? { views: Number(row.views), appliedSeq: Number(row.applied) } : null;
    },

    async appliedSeq(): Promise<number> {
      const [row] = await db.query<{ applied: number | string }>('select coalesce(max(seq), 0) as applied from view_flushes');
      return Number(row?.applied ?? 0);
    },

    /**
     * Adds a batch of views to the totals, once: the batch's row in `view_flushes` goes in only
     * when its number is above every applied one, and the increments only with it. Returns false
     * when the batch was applied before (a flusher died before deleting it from Redis).
     * Use inside a transaction.
     */
    async applyViewBatch(seq: number, counts: ReadonlyMap<number, number>): Promise<boolean> {
      let views = 0;
      for (const n of counts.values()) views += n;
      const inserted = await db.query(
        `insert into view_flushes (seq, posts, views)
         select $1, $2, $3 where $1 > (select coalesce(max(seq), 0) from view_flushes)
         on conflict (seq) do nothing returning seq`,
        [seq, counts.size, views],
      );
      if (inserted.length === 0) return false;
      if (counts.size > 0) {
        // Views of posts deleted since are dropped by the join.
        await db.query(
          `update posts p set views = p.views + d.views
           from unnest($1::int[], $2::bigint[]) as d(id, views) where p.id = d.id`,
          [[...counts.keys()], [...counts.values()]],
        );
      }
      await db.query(`delete from view_flushes where flushed_at < now() - interval '1 day' and seq < $1`, [seq]);
      return true;
    },
  };
}

export type PostsRepo = ReturnType<typeof createPostsRepo>;
