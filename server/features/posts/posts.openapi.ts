import { errorResponseSchema } from '../../../shared/errors.ts';
import {
  createPostInputSchema,
  listPostsQuerySchema,
  pageQuerySchema,
  postDeletedSchema,
  postExample,
  postIdParamsSchema,
  postPageSchema,
  postResultSchema,
  postSchema,
  postViewsSchema,
  updatePostInputSchema,
  userIdParamsSchema,
} from '../../../shared/posts.ts';
import { route } from '../../openapi/route-doc.ts';

const tags = ['posts'];
const badInput = { description: 'A field is invalid (`details` names it: title, content, tags, location, id, ...); nothing was written', schema: errorResponseSchema };
const noPost = { description: 'No post with this id', schema: errorResponseSchema };
const notAuthor = { description: 'Not the post\'s author (or a cross-site cookie request); nothing changed', schema: errorResponseSchema };
const redisDown = {
  description: 'Redis, which holds sessions and the indexes, is not answering; nothing was written',
  schema: errorResponseSchema,
};
const fromCache = 'Served from the Redis cache (`source: "cache"`) or the SQL store (`source: "database"`: a miss, or Redis unavailable)';

export const listPosts = route({
  method: 'get',
  path: '/posts',
  summary: 'List posts',
  description:
    'Posts, newest first, a page at a time. `tags=a,b` keeps the posts that have all of the tags (a Redis SINTER of the tag sets); ' +
    '`tagMode=any` keeps those with any of them (SUNION). Pages are cached in Redis until a post changes.',
  tags,
  request: { query: listPostsQuerySchema },
  responses: {
    200: {
      description: `A page of posts. ${fromCache}`,
      schema: postPageSchema,
      example: { source: 'cache', data: [postExample], page: 1, limit: 20, total: 1 },
    },
    400: badInput,
  },
});

export const getPost = route({
  method: 'get',
  path: '/posts/:id',
  summary: 'Get a post',
  description:
    'One post, from the Redis cache when it holds it (read in the same Redis call as the session and the rate limit), else from SQL, ' +
    'filling the cache for the next reader. Counts a view for the post (HEAD does not).',
  tags,
  request: { params: postIdParamsSchema },
  responses: {
    200: { description: fromCache, schema: postResultSchema, example: { source: 'cache', data: postExample } },
    400: badInput,
    404: noPost,
  },
});

export const getPostViews = route({
  method: 'get',
  path: '/posts/:id/views',
  summary: "Count a post's views",
  description: 'The views flushed to SQL plus those Redis still counts: the live figure, exact to the last request.',
  tags,
  request: { params: postIdParamsSchema },
  responses: {
    200: { description: 'The live view count', schema: postViewsSchema, example: { postId: 1, views: 42 } },
    400: badInput,
    404: noPost,
  },
});

export const createPost = route({
  method: 'post',
  path: '/posts',
  summary: 'Create a post',
  description: 'The caller becomes the author. Tags are 1 to 32 characters of a-z, 0-9 and `-` (at most 10); a location makes the post findable by `GET /geo/nearby`.',
  tags,
  auth: true,
  request: {
    body: createPostInputSchema,
    example: { title: 'Redis Guide', content: 'Learn Redis...', tags: ['redis', 'guide'], location: { longitude: 13.405, latitude: 52.52 } },
  },
  responses: {
    201: { description: 'Created: the post, with its id', schema: postSchema, example: postExample },
    400: badInput,
    403: { description: 'Cross-site cookie request (send Authorization: Bearer)', schema: errorResponseSchema },
    503: redisDown,
  },
});

export const updatePost = route({
  method: 'put',
  path: '/posts/:id',
  summary: 'Update a post',
  description: 'Changes the fields sent, at least one (author only); `location: null` removes the location. The cached copies are dropped before it answers.',
  tags,
  auth: true,
  request: { params: postIdParamsSchema, body: updatePostInputSchema, example: { title: 'Redis Guide, 2nd edition' } },
  responses: {
    200: { description: 'The updated post', schema: postSchema, example: { ...postExample, title: 'Redis Guide, 2nd edition' } },
    400: badInput,
    403: notAuthor,
    404: noPost,
    503: redisDown,
  },
});

export const deletePost = route({
  method: 'delete',
  path: '/posts/:id',
  summary: 'Delete a post',
  description: 'Deletes the post with its tags, views and location (author only).',
  tags,
  auth: true,
  request: { params: postIdParamsSchema },
  responses: {
    200: { description: 'Deleted', schema: postDeletedSchema, example: { message: 'Post deleted successfully' } },
    400: badInput,
    403: notAuthor,
    404: noPost,
    503: redisDown,
  },
});

export const listUserPosts = route({
  method: 'get',
  path: '/users/:id/posts',
  summary: "List a user's posts",
  description: "The author's posts, newest first, a page at a time (a Redis set per author, pages cached like `GET /posts`).",
  tags,
  request: { params: userIdParamsSchema, query: pageQuerySchema },
  responses: {
    200: {
      description: `A page of posts. ${fromCache}`,
      schema: postPageSchema,
      example: { source: 'database', data: [postExample], page: 1, limit: 20, total: 1 },
    },
    400: badInput,
    404: { description: 'No user with this id', schema: errorResponseSchema },
  },
});

/** Every REST operation of the posts feature. */
export const postsDocs = [listPosts, getPost, getPostViews, createPost, updatePost, deletePost, listUserPosts];
