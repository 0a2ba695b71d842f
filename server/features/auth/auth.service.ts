import type {
  AccountDeleted,
  ChangePasswordInput,
  Credentials,
  LoginResult,
  Me,
  PasswordConfirmation,
  RefreshResult,
  RegisterInput,
  RegisterResult,
  Revoked,
  SessionList,
} from '../../../shared/auth.ts';
import type { ServiceDeps } from '../../deps.ts';
import { AppError } from '../../errors.ts';
import { createAccountDeletion, noAccountData, type AccountData } from './account-deletion.ts';
import { invalidCredentials, noSessionError, notAdminError } from './auth.errors.ts';
import type { AuthSession, Credential } from '../../identity.ts';
import { createLoginThrottle, type LoginThrottle } from './login-throttle.ts';
import { createPasswordHasher, type PasswordHasher } from './passwords.ts';
import { ADMIN_ROLE, createRoles, type RoleChangeResult, type RoleName } from './roles.ts';
import type { UserRoles } from './roles.repo.ts';
import { createSessionStore, type SessionStore } from './session.store.ts';
import { createUsersRepo } from './users.repo.ts';
import type { Logger } from '../../logger.ts';

/** Who is calling, as the transports see it: recorded on the session and used by the login throttle. */
export interface ClientMeta {
  ip: string;
  userAgent: string;
  /** The request's logger (its lines carry the request id); the service's own when absent. */
  log?: Logger;
}

/** The demo account the tutorial's curl examples log in with (SEED_DEMO). */
export const DEMO_USER = { email: 'user@example.com', password: 'password123' } as const;

export interface AuthService {
  /** The session store; the session middleware resolves requests with it. */
  sessions: SessionStore;
  register(input: RegisterInput): Promise<RegisterResult>;
  /** The tutorial's login: the token is `sessionId`. */
  login(input: Credentials, client: ClientMeta): Promise<LoginResult>;
  logout(session: AuthSession): Promise<void>;
  /** Slides the idle expiry now (a forced touch), never past the absolute lifetime. */
  refresh(credential: Credential | null): Promise<RefreshResult>;
  me(session: AuthSession): Me;
  listSessions(session: AuthSession): Promise<SessionList>;
  revokeSession(session: AuthSession, publicId: string): Promise<Revoked>;
  /** Ends every session of the caller except the current one. */
  logoutAll(session: AuthSession): Promise<Revoked>;
  /** Checks the current password (throttled like a login), stores the new one, ends every other session. */
  changePassword(session: AuthSession, input: ChangePasswordInput, client: ClientMeta): Promise<Revoked>;
  /** Deletes the caller's own account, its sessions and posts, once their password is confirmed (403 when wrong). */
  deleteAccount(session: AuthSession, input: PasswordConfirmation, client: ClientMeta): Promise<AccountDeleted>;
  /** An admin deletes an account by id, once the admin's own password is confirmed; 403 without the role, 404 without the account. */
  deleteUser(admin: AuthSession, userId: number, input: PasswordConfirmation, client: ClientMeta): Promise<AccountDeleted>;
  /** Operator only (`npm run admin -- delete-user <email>`); 404 without the account. */
  deleteUserByEmail(email: string): Promise<AccountDeleted>;
  /** Operator only (`npm run admin -- grant <email>`): never reachable over HTTP. */
  grantRole(email: string, role: RoleName): Promise<RoleChangeResult>;
  /** Operator only (`npm run admin -- revoke <email>`); live sessions lose the role at once. */
  revokeRole(email: string, role: RoleName): Promise<RoleChangeResult>;
  /** Operator only (`npm run admin -- list`): users with a role. */
  roleHolders(): Promise<UserRoles[]>;
  /** Start-up work: the demo user, roles mirrored from SQL, the dummy hash for unknown emails. */
  startup(): Promise<void>;
}

/** Parts a test (or the bench) may replace: count password checks, or check them unthrottled; and who hears logins. */
export interface AuthCollaborators {
  hasher?: PasswordHasher;
  throttle?: LoginThrottle;
  /** Called after each successful login, once its session exists (`user.login` on the event stream); must not throw. */
  onLogin?(userId: number): void;
  /** What other features hold of an account, deleted with it. @default the user row alone */
  accountData?: AccountData;
}

const iso = (ms: number) => new Date(ms).toISOString();

export function createAuthService(deps: ServiceDeps, parts: AuthCollaborators = {}): AuthService {
  const { config, redis, keys, db, logger, metrics } = deps;
  const hasher = parts.hasher ?? createPasswordHasher();
  const users = createUsersRepo(db);
  const sessions = createSessionStore({
    redis,
    keys,
    idleTtlMs: config.SESSION_TTL_SECONDS * 1000,
    maxAgeMs: config.SESSION_MAX_AGE_SECONDS * 1000,
    touchIntervalMs: config.SESSION_TOUCH_INTERVAL_SECONDS * 1000,
    maxPerUser: config.SESSION_MAX_PER_USER,
    preflight: deps.preflight,
  });
  const throttle =
    parts.throttle ??
    createLoginThrottle({
      redis,
      keys,
      perAddress: config.LOGIN_MAX_FAILURES,
      perAccount: config.LOGIN_MAX_FAILURES_PER_EMAIL,
      perIp: config.LOGIN_MAX_FAILURES_PER_IP,
      windowMs: config.LOGIN_FAILURE_WINDOW_SECONDS * 1000,
      slowdownMs: config.LOGIN_SLOWDOWN_MS,
      maxSlowdownMs: config.LOGIN_MAX_SLOWDOWN_MS,
      knownAddressTtlMs: config.SESSION_MAX_AGE_SECONDS * 1000,
    });
  const roles = createRoles({ redis, keys, db, ttlMs: config.SESSION_MAX_AGE_SECONDS * 1000, logger });
  const deleteAccount = createAccountDeletion({ db, sessions, data: parts.accountData ?? noAccountData, metrics });

  /**
   * The password check behind login and password change. Unknown email and wrong password take
   * the same path: one argon2 verify, then the same error.
   */
  async function checkPassword(email: string, password: string, client: ClientMeta) {
    const attempt = await throttle.begin(email, client.ip);
    const user = await users.findByEmail(email);
    const ok = user ? await hasher.verify(user.passwordHash, password) : await hasher.verifyUnknownUser(password);
    if (!user || !ok) return null;
    await attempt.succeeded();
    return user;
  }

  /**
   * The caller's password, checked again for an operation that a stolen session alone must not
   * do; throttled like a login. 403, not 401: the session is fine, and clients treat 401 as "log in again".
   */
  async function confirmPassword(session: AuthSession, password: string, client: ClientMeta, field: 'currentPassword' | 'password') {
    const user = await checkPassword(session.email, password, client);
    if (!user || user.id !== session.userId) {
      throw new AppError('FORBIDDEN', field === 'currentPassword' ? 'Current password is incorrect' : 'Password is incorrect', {
        details: [{ field, message: 'incorrect' }],
      });
    }
    return user;
  }

  /** The deletion's answer, or 404 naming who was not found. */
  function deletedOr404(deleted: AccountDeleted | null, who: string | number): AccountDeleted {
    if (!deleted) throw new AppError('NOT_FOUND', typeof who === 'number' ? `User ${who} not found` : `No account for ${who}`);
    return deleted;
  }

  return {
    sessions,

    async register({ email, password }) {
      const passwordHash = await hasher.hash(password);
      const user = await users.create(email, passwordHash);
      if (!user) throw new AppError('CONFLICT', 'Email already registered', { details: [{ field: 'email', message: 'already registered' }] });
      logger.info('user registered', { userId: user.id });
      return { user };
    },

    async login({ email, password }, client) {
      const log = client.log ?? logger;
      const user = await checkPassword(email, password, client);
      if (!user) {
        log.info('login failed', { ip: client.ip });
        throw invalidCredentials();
      }
      // Both writes go out together (auto-pipelining); each is atomic on its own key set.
      const [session] = await Promise.all([
        sessions.create({ userId: user.id, email: user.email, ip: client.ip, userAgent: client.userAgent }),
        roles.publish(user.roles).catch((err: unknown) => log.warn('roles not written at login', { err })),
      ]);
      metrics.sessionCreated();
      parts.onLogin?.(user.id);
      log.info('login', { userId: user.id, publicSessionId: session.publicId, evicted: session.evicted });
      return { sessionId: session.token, user: { id: user.id, email: user.email } };
    },

    async logout(session) {
      if (await sessions.revoke(session.userId, session.id)) metrics.sessionsRevoked('logout');
      logger.info('logout', { userId: session.userId, publicSessionId: session.id });
    },

    async refresh(credential) {
      // No token, a malformed one or a cross-site cookie: the answer any call needing a session gets.
      if (!credential?.token || credential.problem === 'cross-site') throw noSessionError(credential);
      const refreshed = await sessions.resolve(credential.token, { force: true });
      if (!refreshed) throw noSessionError({ ...credential, problem: 'unknown' });
      return {
        message: 'Session refreshed',
        expiresAt: iso(refreshed.expiresAt),
        absoluteExpiresAt: iso(refreshed.absoluteExpiresAt),
      };
    },

    me(session) {
      return {
        user: { id: session.userId, email: session.email, roles: [...session.roles] },
        session: {
          id: session.id,
          createdAt: iso(session.createdAt),
          lastSeenAt: iso(session.lastSeenAt),
          expiresAt: iso(session.expiresAt),
          absoluteExpiresAt: iso(session.absoluteExpiresAt),
        },
      };
    },

    async listSessions(session) {
      const listed = await sessions.list(session.userId);
      return {
        sessions: listed.map((s) => ({
          id: s.id,
          current: s.id === session.id,
          createdAt: iso(s.createdAt),
          lastSeenAt: iso(s.lastSeenAt),
          expiresAt: iso(s.expiresAt),
          ip: s.ip,
          userAgent: s.userAgent,
        })),
      };
    },

    async revokeSession(session, publicId) {
      // Scoped to the caller's own index: another user's session id is simply not found.
      if (!(await sessions.revoke(session.userId, publicId))) {
        throw new AppError('NOT_FOUND', `No session ${publicId} among yours`);
      }
      metrics.sessionsRevoked('revoke');
      logger.info('session revoked', { userId: session.userId, publicSessionId: publicId });
      return { message: 'Session revoked', revoked: 1 };
    },

    async logoutAll(session) {
      const revoked = await sessions.revokeOthers(session.userId, session.id);
      metrics.sessionsRevoked('logout_all', revoked);
      logger.info('other sessions revoked', { userId: session.userId, revoked });
      return { message: 'Logged out of all other sessions', revoked };
    },

    async changePassword(session, { currentPassword, newPassword }, client) {
      const user = await confirmPassword(session, currentPassword, client, 'currentPassword');
      await users.setPasswordHash(user.id, await hasher.hash(newPassword));
      // After the new hash is stored, so a login with the old password cannot slip in a session that survives.
      let revoked: number;
      try {
        revoked = await sessions.revokeOthers(session.userId, session.id);
      } catch (err) {
        throw new AppError('SERVICE_UNAVAILABLE', 'Password changed, but other sessions could not be ended: call POST /auth/logout-all', {
          cause: err,
        });
      }
      metrics.sessionsRevoked('password_change', revoked);
      logger.info('password changed', { userId: user.id, revoked });
      return { message: 'Password changed; other sessions ended', revoked };
    },

    async deleteAccount(session, { password }, client) {
      await confirmPassword(session, password, client, 'password');
      // 404 only if it was deleted meanwhile (by an admin): gone either way, as the caller asked.
      return deletedOr404(await deleteAccount(session.userId, client.log ?? logger), session.userId);
    },

    async deleteUser(admin, userId, { password }, client) {
      // The transports check the role too; an admin's password is checked like anyone's.
      if (!admin.roles.includes(ADMIN_ROLE)) throw notAdminError();
      await confirmPassword(admin, password, client, 'password');
      return deletedOr404(await deleteAccount(userId, client.log ?? logger), userId);
    },

    async deleteUserByEmail(email) {
      const user = await users.findByEmail(email);
      return deletedOr404(user && (await deleteAccount(user.id, logger)), email);
    },

    grantRole: (email, role) => roles.grant(email, role),
    revokeRole: (email, role) => roles.revoke(email, role),
    roleHolders: () => roles.holders(),

    async startup() {
      // On the libuv pool beside the rest of start-up: the first unknown-email login awaits the same hash.
      hasher.prepare().catch((err: unknown) => logger.warn('dummy password hash not prepared at start-up', { err }));
      if (config.SEED_DEMO && !(await users.findByEmail(DEMO_USER.email))) {
        // on conflict do nothing: two instances seeding at once both succeed.
        const created = await users.create(DEMO_USER.email, await hasher.hash(DEMO_USER.password));
        if (created) logger.info('seeded demo user', { email: DEMO_USER.email, userId: created.id });
      }
      // Redis may be down at start-up; logins rewrite each user's roles anyway.
      await roles.atStartup().catch((err: unknown) => logger.warn('roles not mirrored at start-up', { err }));
    },
  };
}
