import { errorResponseSchema } from '../../../shared/errors.ts';
import { trendingPostsSchema } from '../../../shared/posts.ts';
import { topAuthorsQuerySchema, topAuthorsSchema, trendingListSchema, trendingQuerySchema } from '../../../shared/trending.ts';
import type { RouteDoc } from '../../openapi/route-doc.ts';

const tags = ['trending'];
const badInput = { description: 'A field is invalid (`details` names it: window, limit)', schema: errorResponseSchema };
const decay =
  'Views of the window (1h, 24h or 7d) summed over hourly buckets; a post with no views in the window is not in it. ' +
  'Merged at most once per TRENDING_CACHE_SECONDS; empty while Redis is unavailable';

/** Every REST route of the trending feature. */
export const trendingDocs: RouteDoc[] = [
  {
    method: 'get',
    path: '/posts/trending',
    summary: 'The tutorial\'s trending: the most viewed posts (default: 10 over the last 24 hours), most viewed first',
    tags,
    request: { query: trendingQuerySchema },
    responses: { 200: { description: `Posts, most viewed first. ${decay}`, schema: trendingPostsSchema }, 400: badInput },
  },
  {
    method: 'get',
    path: '/trending',
    summary: 'The most viewed posts of a window, each with its views',
    tags,
    request: { query: trendingQuerySchema },
    responses: { 200: { description: `Most viewed first. ${decay}`, schema: trendingListSchema }, 400: badInput },
  },
  {
    method: 'get',
    path: '/trending/authors',
    summary: 'The authors whose posts were viewed most in a window (default 7d); with a session, `myRank` (1-based)',
    tags,
    request: { query: topAuthorsQuerySchema },
    responses: { 200: { description: `Most viewed first. ${decay}`, schema: topAuthorsSchema }, 400: badInput },
  },
];
