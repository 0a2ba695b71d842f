import { passwordConfirmationSchema } from '../../../shared/auth.ts';
import { errorResponseSchema } from '../../../shared/errors.ts';
import { userIdParamsSchema } from '../../../shared/posts.ts';
import type { RouteDoc } from '../../openapi/route-doc.ts';
import { accountDeletedAnswer, badInput, redisDown, unauthorized, wrongPasswords } from './auth.openapi.ts';

const tags = ['auth'];

/** The REST routes under /users that the auth feature serves (users.routes.ts). */
export const usersDocs: RouteDoc[] = [
  {
    method: 'delete',
    path: '/users/:id',
    summary: "Admins: delete an account by id with its sessions and posts; needs the admin's own password",
    tags,
    auth: true,
    request: { params: userIdParamsSchema, body: passwordConfirmationSchema },
    responses: {
      200: accountDeletedAnswer,
      400: badInput,
      401: unauthorized,
      403: { description: "The caller is not an admin, the admin's password is wrong, or a cross-site cookie request", schema: errorResponseSchema },
      404: { description: 'No user with this id', schema: errorResponseSchema },
      429: wrongPasswords,
      503: redisDown,
    },
  },
];
