import { emailSchema } from '../../shared/auth.ts';
import type { AuthService } from '../features/auth/auth.service.ts';
import { ADMIN_ROLE } from '../features/auth/roles.ts';

export const ADMIN_USAGE = `usage: npm run admin -- <command>
  grant <email>        give the account the admin role
  revoke <email>       take the admin role back (live sessions lose it at once)
  list                 the accounts with a role
  delete-user <email>  delete the account with its sessions and posts`;

/** One operator command, parsed. */
export type AdminCommand = { name: 'grant' | 'revoke' | 'delete-user'; email: string } | { name: 'list' };

/** What a command printed, and whether it did its job. */
export interface AdminOutcome {
  ok: boolean;
  lines: string[];
}

/** The command named by `argv` (what follows `npm run admin --`), or why it is not one. */
export function parseAdminArgs(argv: readonly string[]): AdminCommand | { error: string } {
  const [name, ...rest] = argv;
  switch (name) {
    case 'list':
      return rest.length === 0 ? { name } : { error: 'list takes no argument' };
    case 'grant':
    case 'revoke':
    case 'delete-user': {
      const email = rest.length === 1 ? emailSchema.safeParse(rest[0]) : null;
      if (!email?.success) return { error: `${name} takes one email address` };
      return { name, email: email.data };
    }
    default:
      return { error: name === undefined ? 'no command given' : `unknown command: ${name}` };
  }
}

/** Runs one command against the app's auth service; an AppError (no such account, Redis down) becomes a failed outcome. */
export async function runAdminCommand(auth: AuthService, command: AdminCommand): Promise<AdminOutcome> {
  switch (command.name) {
    case 'grant':
    case 'revoke': {
      const change = command.name === 'grant' ? await auth.grantRole(command.email, ADMIN_ROLE) : await auth.revokeRole(command.email, ADMIN_ROLE);
      const verb = command.name === 'grant' ? 'granted to' : 'revoked from';
      const already = command.name === 'grant' ? 'already had' : 'did not have';
      const what = change.changed ? `${ADMIN_ROLE} ${verb} ${change.user.email}` : `${change.user.email} ${already} ${ADMIN_ROLE}`;
      return { ok: true, lines: [`${what} (user ${change.user.id}); roles now: ${change.roles.join(', ') || 'none'}`] };
    }
    case 'delete-user': {
      const { user, sessionsRevoked, postsDeleted } = await auth.deleteUserByEmail(command.email);
      return { ok: true, lines: [`deleted ${user.email} (user ${user.id}): ${sessionsRevoked} sessions ended, ${postsDeleted} posts deleted`] };
    }
    case 'list': {
      const holders = await auth.roleHolders();
      return { ok: true, lines: holders.length === 0 ? ['no account has a role'] : holders.map((u) => `${u.userId}\t${u.email}\t${u.roles.join(', ')}`) };
    }
  }
}
