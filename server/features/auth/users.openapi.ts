import { passwordConfirmationSchema } from '../../../shared/auth.ts';
import { errorResponseSchema } from '../../../shared/errors.ts';
import { userIdParamsSchema } from '../../../shared/posts.ts';
import { route } from '../../openapi/route-doc.ts';
import { accountDeletedAnswer, badInput, redisDown, wrongPasswords } from './auth.openapi.ts';

export const deleteUser = route({
  method: 'delete',
  path: '/users/:id',
  summary: 'Delete an account (admins)',
  description: "Deletes an account by id with its sessions and posts. Admins only, with the admin's own password in the body.",
  tags: ['auth'],
  auth: true,
  request: { params: userIdParamsSchema, body: passwordConfirmationSchema, example: { password: 'the admin password' } },
  responses: {
    200: accountDeletedAnswer,
    400: badInput,
    403: { description: "The caller is not an admin, the admin's password is wrong, or a cross-site cookie request", schema: errorResponseSchema },
    404: { description: 'No user with this id', schema: errorResponseSchema },
    429: wrongPasswords,
    503: redisDown,
  },
});

/** The REST operations under /users that the auth feature serves (users.routes.ts). */
export const usersDocs = [deleteUser];
