import { errorResponseSchema } from '../../../shared/errors.ts';
import { postExample, trendingPostsSchema } from '../../../shared/posts.ts';
import { topAuthorsQuerySchema, topAuthorsSchema, trendingListSchema, trendingQuerySchema } from '../../../shared/trending.ts';
import { route } from '../../openapi/route-doc.ts';

const tags = ['trending'];
const badInput = { description: 'A field is invalid (`details` names it: window, limit)', schema: errorResponseSchema };
const decay =
  'Views of the window (1h, 24h or 7d) summed over hourly buckets; a post with no views in the window is not in it. ' +
  'Merged at most once per TRENDING_CACHE_SECONDS; empty while Redis is unavailable.';

export const tutorialTrending = route({
  method: 'get',
  path: '/posts/trending',
  summary: 'Trending posts (the tutorial)',
  description: `The tutorial's trending: the most viewed posts (default: 10 over the last 24 hours), most viewed first, as bare posts. ${decay}`,
  tags,
  request: { query: trendingQuerySchema },
  responses: { 200: { description: 'Posts, most viewed first', schema: trendingPostsSchema, example: [postExample] }, 400: badInput },
});

export const trendingList = route({
  method: 'get',
  path: '/trending',
  summary: 'Trending posts with their views',
  description: `The most viewed posts of a window, each with its views (a sorted set per hour, merged per window). ${decay}`,
  tags,
  request: { query: trendingQuerySchema },
  responses: {
    200: { description: 'Most viewed first', schema: trendingListSchema, example: [{ post: postExample, views: 42.5 }] },
    400: badInput,
  },
});

export const topAuthors = route({
  method: 'get',
  path: '/trending/authors',
  summary: 'Top authors',
  description: `The authors whose posts were viewed most in a window (default 7d). With a session, \`myRank\` is the caller's own 1-based rank. ${decay}`,
  tags,
  auth: 'optional',
  request: { query: topAuthorsQuerySchema },
  responses: {
    200: {
      description: 'Most viewed first',
      schema: topAuthorsSchema,
      example: { window: '7d', authors: [{ authorId: 1, views: 120, rank: 1 }], myRank: 1 },
    },
    400: badInput,
  },
});

/** Every REST operation of the trending feature. */
export const trendingDocs = [tutorialTrending, trendingList, topAuthors];
