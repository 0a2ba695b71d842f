import {
  accountDeletedSchema,
  changePasswordInputSchema,
  deleteUserInputSchema,
  credentialsSchema,
  loginResultSchema,
  meSchema,
  messageSchema,
  passwordConfirmationSchema,
  refreshResultSchema,
  registerInputSchema,
  registerResultSchema,
  revokedSchema,
  sessionIdParamsSchema,
  sessionListSchema,
} from '../../../shared/auth.ts';
import type { Context } from '../../context.ts';
import { adminProcedure, authedProcedure, publicProcedure, router } from '../../trpc.ts';
import type { ClientMeta } from './auth.service.ts';

const clientOf = (ctx: Context): ClientMeta => ({ ip: ctx.clientIp, userAgent: ctx.userAgent, log: ctx.log });

/** `auth.*`: the same operations as the REST routes under /auth, with the same schemas. */
export const authRouter = router({
  register: publicProcedure
    .input(registerInputSchema)
    .output(registerResultSchema)
    .mutation(({ ctx, input }) => ctx.services.auth.register(input)),

  login: publicProcedure
    .input(credentialsSchema)
    .output(loginResultSchema)
    .mutation(async ({ ctx, input }) => {
      const { sessionId, user } = await ctx.services.auth.login(input, clientOf(ctx));
      return { sessionId, user };
    }),

  logout: authedProcedure.output(messageSchema).mutation(async ({ ctx }) => {
    await ctx.services.auth.logout(ctx.session);
    return { message: 'Logged out successfully' };
  }),

  refresh: publicProcedure.output(refreshResultSchema).mutation(({ ctx }) => ctx.services.auth.refresh(ctx.credential)),

  me: authedProcedure.output(meSchema).query(({ ctx }) => ctx.services.auth.me(ctx.session)),

  sessions: authedProcedure.output(sessionListSchema).query(({ ctx }) => ctx.services.auth.listSessions(ctx.session)),

  revokeSession: authedProcedure
    .input(sessionIdParamsSchema)
    .output(revokedSchema)
    .mutation(({ ctx, input }) => ctx.services.auth.revokeSession(ctx.session, input.id)),

  logoutAll: authedProcedure.output(revokedSchema).mutation(({ ctx }) => ctx.services.auth.logoutAll(ctx.session)),

  changePassword: authedProcedure
    .input(changePasswordInputSchema)
    .output(revokedSchema)
    .mutation(({ ctx, input }) => ctx.services.auth.changePassword(ctx.session, input, clientOf(ctx))),

  /** The caller's own account, with its sessions and posts; needs the current password. */
  deleteAccount: authedProcedure
    .input(passwordConfirmationSchema)
    .output(accountDeletedSchema)
    .mutation(({ ctx, input }) => ctx.services.auth.deleteAccount(ctx.session, input, clientOf(ctx))),

  /** An admin deletes any account by id; needs the admin's own password. */
  deleteUser: adminProcedure
    .input(deleteUserInputSchema)
    .output(accountDeletedSchema)
    .mutation(({ ctx, input }) => ctx.services.auth.deleteUser(ctx.session, input.userId, { password: input.password }, clientOf(ctx))),
});
