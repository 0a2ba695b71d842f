import { z } from 'zod';

/** Limits of a post, shared by the validation below, the SQL checks and the docs. */
export const POST_LIMITS = {
  /** Title length in characters (Unicode code points, as SQL's char_length and JSON Schema count them). */
  titleMaxChars: 200,
  /** Content size in bytes of UTF-8: 100 KiB. */
  contentMaxBytes: 100 * 1024,
  maxTags: 10,
  /** Redis GEO cannot index latitudes beyond this (EPSG:3857). */
  maxLatitude: 85.05112878,
  /** Largest page size of a list. */
  maxLimit: 50,
  /** Deepest page of a list (offsets cost SQL time linearly). */
  maxPage: 1000,
  /** Post ids are SQL integers. */
  maxId: 2_147_483_647,
} as const;

const codePoints = (s: string) => {
  let n = 0;
  for (const _ of s) n++;
  return n;
};
/** UTF-8 size without encoding (this module also runs in browsers); a lone surrogate counts as U+FFFD's 3 bytes. */
function utf8Bytes(s: string): number {
  let bytes = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) bytes += 1;
    else if (c < 0x800) bytes += 2;
    else if (c >= 0xd800 && c <= 0xdbff && (s.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      bytes += 4;
      i++;
    } else bytes += 3;
  }
  return bytes;
}

/** SQL text cannot hold U+0000 (PostgreSQL refuses the byte): refused here as a 400, not a 500 from the insert. */
const withoutNul = (s: string) => !s.includes('\u0000');
const nulError = { error: 'expected no NUL (U+0000) characters' };

/** A tag: 1 to 32 of a-z, 0-9 and `-`. */
export const tagSchema = z
  .string()
  .regex(/^[a-z0-9-]{1,32}$/, { error: 'expected 1-32 characters of a-z, 0-9 and -' })
  .meta({ id: 'Tag' });

/** Trimmed; 1 to 200 characters; no NUL. */
export const titleSchema = z
  .string()
  .trim()
  .min(1, { error: 'expected a non-empty title' })
  .refine((v) => codePoints(v) <= POST_LIMITS.titleMaxChars, { error: `expected at most ${POST_LIMITS.titleMaxChars} characters` })
  .refine(withoutNul, nulError)
  .meta({ maxLength: POST_LIMITS.titleMaxChars });

/** Non-empty; at most 100 KiB (102,400 bytes) once encoded as UTF-8; no NUL. */
export const contentSchema = z
  .string()
  .min(1, { error: 'expected non-empty content' })
  .refine((v) => utf8Bytes(v) <= POST_LIMITS.contentMaxBytes, {
    error: `expected at most ${POST_LIMITS.contentMaxBytes} bytes of UTF-8 (100 KiB)`,
  })
  .refine(withoutNul, nulError);

/** Up to 10 tags; repeats are dropped (a post has a tag or not). */
export const tagsSchema = z
  .array(tagSchema)
  .max(POST_LIMITS.maxTags, { error: `expected at most ${POST_LIMITS.maxTags} tags` })
  .transform((tags) => [...new Set(tags)]);

/** Where a post was written: WGS 84 degrees, within what Redis GEO can index. */
export const locationSchema = z.object({
  longitude: z.number().min(-180).max(180),
  latitude: z.number().min(-POST_LIMITS.maxLatitude).max(POST_LIMITS.maxLatitude),
});
export type Location = z.infer<typeof locationSchema>;

/** A post as the reference shows it (the example of the `Post` schema). */
export const postExample = {
  id: 1,
  authorId: 1,
  title: 'Redis Guide',
  content: 'Learn Redis...',
  tags: ['redis', 'guide'],
  location: { longitude: 13.405, latitude: 52.52 },
  createdAt: '2026-01-15T09:30:00.000Z',
  updatedAt: '2026-01-15T09:30:00.000Z',
};

/** A post as the API answers it. Times are ISO 8601 (UTC). */
export const postSchema = z
  .object({
    id: z.number().int().positive(),
    authorId: z.number().int().positive(),
    title: z.string(),
    content: z.string(),
    tags: z.array(z.string()),
    location: locationSchema.nullable(),
    createdAt: z.iso.datetime(),
    updatedAt: z.iso.datetime(),
  })
  .meta({ id: 'Post', examples: [postExample] });
export type Post = z.infer<typeof postSchema>;

/**
 * `POST /posts`, the tutorial's body plus tags and a location. Unknown fields are refused (400
 * naming them) rather than ignored, so a misspelt field never silently does nothing.
 */
export const createPostInputSchema = z.strictObject({
  title: titleSchema,
  content: contentSchema,
  tags: tagsSchema.default([]),
  location: locationSchema.nullable().optional(),
});
export type CreatePostInput = z.input<typeof createPostInputSchema>;

/** `PUT /posts/:id`: the fields to change (at least one); `location: null` removes the location. */
export const updatePostInputSchema = z
  .strictObject({
    title: titleSchema.optional(),
    content: contentSchema.optional(),
    tags: tagsSchema.optional(),
    location: locationSchema.nullable().optional(),
  })
  .refine((patch) => Object.values(patch).some((v) => v !== undefined), { error: 'expected at least one field to change' });
export type UpdatePostInput = z.input<typeof updatePostInputSchema>;

/** A post id: a positive integer. From a path it arrives as a string, which REST turns into a number at its edge. */
export const postIdSchema = z
  .number({ error: 'expected a numeric post id' })
  .int({ error: 'expected a numeric post id' })
  .positive({ error: 'expected a positive post id' })
  .max(POST_LIMITS.maxId, { error: `expected an id up to ${POST_LIMITS.maxId}` })
  .describe('The post id');

export const postIdParamsSchema = z.object({ id: postIdSchema });

/** `/users/:id/posts`: the author's user id. */
/** A user id: a positive integer (REST coerces the path's string at its edge). */
export const userIdSchema = z
  .number({ error: 'expected a numeric user id' })
  .int({ error: 'expected a numeric user id' })
  .positive({ error: 'expected a positive user id' })
  .describe('The user id');
export const userIdParamsSchema = z.object({ id: userIdSchema });

const pageSchema = z
  .number()
  .int()
  .min(1)
  .max(POST_LIMITS.maxPage)
  .default(1)
  .describe('1-based page number');
const limitSchema = z
  .number()
  .int()
  .min(1)
  .max(POST_LIMITS.maxLimit)
  .default(20)
  .describe(`Posts per page (at most ${POST_LIMITS.maxLimit})`);

export const pageQuerySchema = z.object({ page: pageSchema, limit: limitSchema });

/** How many posts (or authors) an answer holds: 1 to 50, `fallback` when not given. */
export const answerSizeSchema = (fallback: number) =>
  z
    .number({ error: 'expected an integer' })
    .int({ error: 'expected an integer' })
    .min(1, { error: 'expected at least 1' })
    .max(POST_LIMITS.maxLimit, { error: `expected at most ${POST_LIMITS.maxLimit}` })
    .default(fallback)
    .describe(`How many to answer (at most ${POST_LIMITS.maxLimit})`);
export type PageQuery = z.input<typeof pageQuerySchema>;

/** `?tags=a,b` (REST) or `['a', 'b']` (tRPC); an empty list means no tag filter. */
const tagFilterSchema = z
  .union([z.array(z.string()), z.string().transform((v) => v.split(',').map((t) => t.trim()).filter(Boolean))])
  .pipe(z.array(tagSchema).max(POST_LIMITS.maxTags, { error: `expected at most ${POST_LIMITS.maxTags} tags` }))
  .transform((tags) => [...new Set(tags)].sort())
  .describe('Comma-separated tags: posts having all of them (tagMode=all) or any (tagMode=any)');

/** `GET /posts`: newest first, optionally only posts with all (or any) of some tags. */
export const listPostsQuerySchema = pageQuerySchema.extend({
  tags: tagFilterSchema.optional(),
  tagMode: z.enum(['all', 'any']).default('all').describe('all: every tag (SINTER); any: at least one (SUNION)'),
});
export type ListPostsQuery = z.input<typeof listPostsQuerySchema>;

/** Where an answer came from: the Redis cache, or the SQL store (a miss, or Redis unavailable). */
export const sourceSchema = z.enum(['cache', 'database']);
export type Source = z.infer<typeof sourceSchema>;

/** `GET /posts/:id`, the tutorial's shape. */
export const postResultSchema = z.object({ source: sourceSchema, data: postSchema });
export type PostResult = z.infer<typeof postResultSchema>;

/** A page of posts, newest first: the tutorial's `{ source, data }` plus where the page is. */
export const postPageSchema = z.object({
  source: sourceSchema,
  data: z.array(postSchema),
  page: z.number().int().positive(),
  limit: z.number().int().positive(),
  /** How many posts match in all. */
  total: z.number().int().nonnegative(),
});
export type PostPage = z.infer<typeof postPageSchema>;

/** `GET /posts/:id/views`: views flushed to SQL plus those still counted in Redis. */
export const postViewsSchema = z.object({ postId: z.number().int().positive(), views: z.number().int().nonnegative() });
export type PostViews = z.infer<typeof postViewsSchema>;

/** `GET /posts/trending` (the trending feature): the most viewed posts of a window, most viewed first. */
export const trendingPostsSchema = z.array(postSchema);

export const postDeletedSchema = z.object({ message: z.literal('Post deleted successfully') });
