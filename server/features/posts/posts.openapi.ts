import { errorResponseSchema } from '../../../shared/errors.ts';
import {
  createPostInputSchema,
  listPostsQuerySchema,
  pageQuerySchema,
  postDeletedSchema,
  postIdParamsSchema,
  postPageSchema,
  postResultSchema,
  postSchema,
  postViewsSchema,
  updatePostInputSchema,
  userIdParamsSchema,
} from '../../../shared/posts.ts';
import type { RouteDoc } from '../../openapi/route-doc.ts';

const tags = ['posts'];
const badInput = { description: 'A field is invalid (`details` names it: title, content, tags, location, id, ...); nothing was written', schema: errorResponseSchema };
const noPost = { description: 'No post with this id', schema: errorResponseSchema };
const unauthorized = { description: 'No valid session (missing, malformed, expired or revoked token)', schema: errorResponseSchema };
const notAuthor = { description: 'Not the post\'s author (or a cross-site cookie request); nothing changed', schema: errorResponseSchema };
const redisDown = {
  description: 'Redis, which holds sessions and the indexes, is not answering; nothing was written',
  schema: errorResponseSchema,
};
const fromCache = 'Served from the Redis cache (`source: "cache"`) or the SQL store (`source: "database"`: a miss, or Redis unavailable)';

/** Every REST route of the posts feature, with the shared schemas the routes parse and answer with. */
export const postsDocs: RouteDoc[] = [
  {
    method: 'get',
    path: '/posts',
    summary: 'List posts, newest first; `tags=a,b` keeps posts with all of the tags (`tagMode=any`: any of them)',
    tags,
    request: { query: listPostsQuerySchema },
    responses: { 200: { description: `A page of posts. ${fromCache}`, schema: postPageSchema }, 400: badInput },
  },
  {
    method: 'get',
    path: '/posts/:id',
    summary: 'One post; counts a view',
    tags,
    request: { params: postIdParamsSchema },
    responses: { 200: { description: fromCache, schema: postResultSchema }, 400: badInput, 404: noPost },
  },
  {
    method: 'get',
    path: '/posts/:id/views',
    summary: 'Views of a post: those flushed to SQL plus those Redis still counts',
    tags,
    request: { params: postIdParamsSchema },
    responses: { 200: { description: 'The live view count', schema: postViewsSchema }, 400: badInput, 404: noPost },
  },
  {
    method: 'post',
    path: '/posts',
    summary: 'Create a post (the caller is its author)',
    tags,
    auth: true,
    request: { body: createPostInputSchema },
    responses: {
      201: { description: 'Created: the post, with its id', schema: postSchema },
      400: badInput,
      401: unauthorized,
      403: { description: 'Cross-site cookie request (send Authorization: Bearer)', schema: errorResponseSchema },
      503: redisDown,
    },
  },
  {
    method: 'put',
    path: '/posts/:id',
    summary: 'Change some fields of a post (author only); `location: null` removes the location',
    tags,
    auth: true,
    request: { params: postIdParamsSchema, body: updatePostInputSchema },
    responses: {
      200: { description: 'The updated post', schema: postSchema },
      400: badInput,
      401: unauthorized,
      403: notAuthor,
      404: noPost,
      503: redisDown,
    },
  },
  {
    method: 'delete',
    path: '/posts/:id',
    summary: 'Delete a post (author only)',
    tags,
    auth: true,
    request: { params: postIdParamsSchema },
    responses: {
      200: { description: 'Deleted', schema: postDeletedSchema },
      400: badInput,
      401: unauthorized,
      403: notAuthor,
      404: noPost,
      503: redisDown,
    },
  },
  {
    method: 'get',
    path: '/users/:id/posts',
    summary: "A user's posts, newest first",
    tags,
    request: { params: userIdParamsSchema, query: pageQuerySchema },
    responses: {
      200: { description: `A page of posts. ${fromCache}`, schema: postPageSchema },
      400: badInput,
      404: { description: 'No user with this id', schema: errorResponseSchema },
    },
  },
];
