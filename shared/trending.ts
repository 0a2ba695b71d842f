import { z } from 'zod';
import { answerSizeSchema, postSchema } from './posts.ts';

/** The trending windows: the last hour, day or week, counted in hourly buckets. */
export const trendingWindows = ['1h', '24h', '7d'] as const;
export type TrendingWindow = (typeof trendingWindows)[number];

/** Hours in each window. */
export const WINDOW_HOURS: Record<TrendingWindow, number> = { '1h': 1, '24h': 24, '7d': 168 };

const windowSchema = (fallback: TrendingWindow) =>
  z
    .enum(trendingWindows, { error: `expected one of ${trendingWindows.join(', ')}` })
    .default(fallback)
    .describe('The window: 1h, 24h or 7d');

/** `GET /trending`, `trending.list`: the most viewed posts of a window. */
export const trendingQuerySchema = z.object({ window: windowSchema('24h'), limit: answerSizeSchema(10) });
export type TrendingQuery = z.input<typeof trendingQuerySchema>;

/** `GET /trending/authors`, `trending.authors`: the authors whose posts were viewed most in a window. */
export const topAuthorsQuerySchema = z.object({ window: windowSchema('7d'), limit: answerSizeSchema(10) });
export type TopAuthorsQuery = z.input<typeof topAuthorsQuerySchema>;

/**
 * Views within the window. The hour the window starts in counts in proportion to how much of it
 * is still inside (views are taken as spread evenly over their hour), so a figure may be fractional.
 */
const viewsSchema = z.number().nonnegative().describe('Views in the window (the oldest hour counted in part)');

export const trendingPostSchema = z.object({ post: postSchema, views: viewsSchema }).meta({ id: 'TrendingPost' });
export type TrendingPost = z.infer<typeof trendingPostSchema>;
/** Most viewed first. */
export const trendingListSchema = z.array(trendingPostSchema);

export const topAuthorSchema = z.object({
  authorId: z.number().int().positive(),
  views: viewsSchema,
  /** 1 is the most viewed author. */
  rank: z.number().int().positive(),
});
export type TopAuthor = z.infer<typeof topAuthorSchema>;

export const topAuthorsSchema = z.object({
  window: z.enum(trendingWindows),
  authors: z.array(topAuthorSchema),
  /**
   * The caller's rank, 1-based like `rank` (ZREVRANK + 1); null when their posts had no views in
   * the window; absent without a session.
   */
  myRank: z.number().int().positive().nullable().optional(),
});
export type TopAuthors = z.infer<typeof topAuthorsSchema>;
