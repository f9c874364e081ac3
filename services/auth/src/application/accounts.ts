import { randomUUID } from 'node:crypto';
import type { Db } from 'mongodb';
import { ConflictError, ForbiddenError, NotFoundError, UnauthorizedError } from '@sms/shared/errors';
import { staleVersion, type IfMatchVersions } from '@sms/shared/http';
import type { EventMetadata } from '@sms/shared/events';
import { handleCommand, type EventStore } from '@sms/shared/eventstore';
import { userDecider, type UserCommand, type UserState } from '../domain/user.decide';
import type { Role } from '../domain/user.events';
import { LoginThrottled, SessionRevoked, SessionStarted } from '../domain/session.events';
import { deletedOrganizationsOf, type DeletedOrganizations } from '@sms/shared/tenancy';
import { usersCollection } from '../projections/users';
import { Claims, GLOBAL } from '../infrastructure/claims';
import { Credentials } from '../infrastructure/credentials';
import { Sessions } from '../infrastructure/sessions';
import type { PasswordHasher } from '../passwords/hasher';
import { checkPassword } from '../passwords/policy';
import type { KeyRing } from '../tokens/keys';
import { newRefreshToken, parseRefreshToken, signAccessToken } from '../tokens/tokens';

export interface UserView {
  id: string;
  organizationId: string;
  username: string;
  email: string;
  role: Role;
  active: boolean;
  version: number;
}

export interface TokenPair {
  accessToken: string;
  refreshToken: string;
  tokenType: 'Bearer';
  expiresIn: number;
  sessionId: string;
  user: UserView;
}

export interface AccountsOptions {
  issuer: string;
  audience: string;
  accessTtlSeconds: number;
  refreshTtlSeconds: number;
}

/** The same answer, in the same time, for an unknown user and a wrong password. */
const INVALID_CREDENTIALS = 'invalid username or password';

/**
 * The auth service's use cases: registration, login, sessions with rotating refresh tokens, logout,
 * password change. Uniqueness claims and credentials are written before the event that makes the user
 * exist, and undone when that append fails.
 */
export class Accounts {
  readonly claims: Claims;
  readonly credentials: Credentials;
  readonly sessions: Sessions;
  readonly deletedOrganizations: DeletedOrganizations;
  private readonly purgeReadModel: (org: string) => Promise<void>;

  constructor(
    db: Db,
    private readonly store: EventStore,
    private readonly hasher: PasswordHasher,
    private readonly ring: KeyRing,
    private readonly options: AccountsOptions,
  ) {
    this.claims = new Claims(db);
    this.credentials = new Credentials(db);
    this.sessions = new Sessions(db);
    this.deletedOrganizations = deletedOrganizationsOf(db);
    this.purgeReadModel = (org) => usersCollection(db).deleteMany({ organizationId: org }).then(() => undefined);
  }

  async setup(): Promise<void> {
    await this.sessions.setup();
  }

  async register(
    input: { org: string; username: string; email: string; password: string; role: Role; userId?: string },
    meta: EventMetadata,
  ): Promise<UserView> {
    checkPassword(input.password, { username: input.username, email: input.email });
    await this.deletedOrganizations.assertExists(input.org);
    const userId = input.userId ?? randomUUID();
    const undo: Array<() => Promise<void>> = [];
    try {
      await this.claims.claim(input.org, 'username', input.username, userId);
      undo.push(() => this.claims.release(input.org, 'username', input.username, userId));
      await this.claims.claim(input.org, 'email', input.email, userId);
      undo.push(() => this.claims.release(input.org, 'email', input.email, userId));
      await this.credentials.set(userId, await this.hasher.hash(input.password));
      undo.push(() => this.credentials.remove(userId));
      const { state, version } = await this.execute(userId, input.org, { kind: 'register', username: input.username, email: input.email, role: input.role }, meta);
      return view(userId, input.org, state, version);
    } catch (err) {
      for (const step of undo.reverse()) await step().catch(() => undefined);
      throw err;
    }
  }

  /**
   * Resolves a username or email in an organization and checks the password; one answer for all
   * failures, including an account without the `role` the login is for (an admin login of a user).
   */
  async authenticate(org: string, login: string, password: string, role?: Role): Promise<UserView> {
    const userId = (await this.claims.holder(org, 'username', login)) ?? (await this.claims.holder(org, 'email', login));
    const hash = userId ? await this.credentials.hashOf(userId) : undefined;
    if (!userId || !hash) {
      await this.hasher.dummyVerify();
      throw new UnauthorizedError(INVALID_CREDENTIALS);
    }
    if (!(await this.hasher.verify(password, hash))) throw new UnauthorizedError(INVALID_CREDENTIALS);
    const user = await this.user(userId, org);
    if (role !== undefined && user.role !== role) throw new UnauthorizedError(INVALID_CREDENTIALS);
    if (!user.active) throw new ForbiddenError('this account is deactivated');
    return user;
  }

  async user(userId: string, org: string): Promise<UserView> {
    const { state, version, tenant } = await this.load(userId);
    if (state.status === 'none' || state.status === 'deleted' || tenant !== org) throw new UnauthorizedError('user not found');
    return view(userId, org, state, version);
  }

  /** Opens a session: a `session.started` event, a refresh token (stored hashed) and an access token. */
  async startSession(user: UserView, notBefore?: Date): Promise<TokenPair> {
    // A login in the same second as a revocation must not get a token the gateway counts as revoked.
    if (!notBefore) {
      const { state } = await this.load(user.id);
      if ((state.status === 'active' || state.status === 'inactive') && state.revokedBefore) notBefore = new Date(state.revokedBefore);
    }
    const sid = randomUUID();
    const refresh = newRefreshToken(sid);
    const now = new Date();
    const expiresAt = new Date(now.getTime() + this.options.refreshTtlSeconds * 1000);
    await this.sessions.create({ _id: sid, userId: user.id, org: user.organizationId, refreshHash: refresh.hash, createdAt: now, expiresAt });
    await this.store.append(`session-${sid}`, 0, [{ type: SessionStarted.type, data: { userId: user.id, expiresAt: expiresAt.toISOString() } }], {
      tenant: user.organizationId,
      actor: user.id,
    });
    return this.tokens(user, sid, refresh.token, notBefore);
  }

  /** Rotates the refresh token. A spent token presented again revokes the whole session. */
  async refresh(refreshToken: string): Promise<TokenPair> {
    const parsed = parseRefreshToken(refreshToken);
    const session = parsed ? await this.sessions.get(parsed.sid) : null;
    if (!parsed || !session || session.revokedAt || session.expiresAt.getTime() <= Date.now()) {
      throw new UnauthorizedError('invalid or expired refresh token');
    }
    if (session.refreshHash !== parsed.hash) {
      if (session.spentHashes.includes(parsed.hash)) {
        await this.revokeSession(session._id, session.userId, session.org, 'refresh-token-reused');
        throw new UnauthorizedError('refresh token reused; the session has been revoked');
      }
      throw new UnauthorizedError('invalid or expired refresh token');
    }
    const next = newRefreshToken(session._id);
    if (!(await this.sessions.rotate(session._id, parsed.hash, next.hash))) {
      // Another request rotated it first with the same token: one of the two copies was not the owner's.
      await this.revokeSession(session._id, session.userId, session.org, 'refresh-token-reused');
      throw new UnauthorizedError('refresh token reused; the session has been revoked');
    }
    const user = await this.user(session.userId, session.org);
    if (!user.active) throw new ForbiddenError('this account is deactivated');
    return this.tokens(user, session._id, next.token);
  }

  async logout(sid: string, userId: string, org: string): Promise<void> {
    await this.revokeSession(sid, userId, org, 'logout');
  }

  /** Revokes every session of the user (tokens issued before now stop working). */
  async logoutEverywhere(user: UserView): Promise<void> {
    const at = new Date();
    await this.execute(user.id, user.organizationId, { kind: 'revoke-sessions', at }, { tenant: user.organizationId, actor: user.id });
    await this.sessions.revokeAllOf(user.id, at);
  }

  /** Changes the password, revokes every session, and opens a fresh one for the caller. */
  async changePassword(user: UserView, currentPassword: string, newPassword: string): Promise<TokenPair> {
    const hash = await this.credentials.hashOf(user.id);
    if (!hash || !(await this.hasher.verify(currentPassword, hash))) throw new UnauthorizedError('current password is wrong');
    checkPassword(newPassword, { username: user.username, email: user.email });
    await this.credentials.set(user.id, await this.hasher.hash(newPassword));
    const at = new Date();
    await this.execute(user.id, user.organizationId, { kind: 'change-password', reset: false, at }, { tenant: user.organizationId, actor: user.id });
    await this.sessions.revokeAllOf(user.id, at);
    return this.startSession(await this.user(user.id, user.organizationId), at);
  }

  /**
   * The first admin of an organization may be created without an admin (open signup for the default
   * organization, the organizations service for the others): a claim that only one caller can win.
   */
  async claimFirstAdmin(org: string, userId: string): Promise<boolean> {
    await this.deletedOrganizations.assertExists(org);
    try {
      await this.claims.claim(org, 'first-admin', '', userId);
      return true;
    } catch (err) {
      if (err instanceof ConflictError) return false;
      throw err;
    }
  }

  async releaseFirstAdmin(org: string, userId: string): Promise<void> {
    await this.claims.release(org, 'first-admin', '', userId);
  }

  /** A user of the caller's organization; another organization's or a deleted user is a 404. */
  async userInOrg(org: string, userId: string): Promise<UserView> {
    const { state, version, tenant } = await this.load(userId);
    if (tenant !== org || (state.status !== 'active' && state.status !== 'inactive')) throw new NotFoundError('user not found');
    return view(userId, org, state, version);
  }

  /** An admin's change to a user: profile (claims moved), role, activation; sessions revoked where needed. */
  async updateUser(
    org: string,
    userId: string,
    change: { username?: string; email?: string; role?: Role; active?: boolean },
    meta: EventMetadata,
    ifMatch?: IfMatchVersions,
  ): Promise<UserView> {
    let user = await this.userInOrg(org, userId);
    if (ifMatch !== undefined && !ifMatch.includes(user.version)) throw staleVersion('user', user.version, ifMatch);
    const at = new Date();
    const released: Array<() => Promise<void>> = [];
    for (const kind of ['username', 'email'] as const) {
      const next = change[kind];
      if (next !== undefined && next.toLowerCase() !== user[kind].toLowerCase()) {
        await this.claims.claim(org, kind, next, userId);
        const old = user[kind];
        released.push(() => this.claims.release(org, kind, old, userId));
      }
    }
    const adminEmail = change.email !== undefined && (await this.claims.holder(GLOBAL, 'admin-email', user.email)) === userId;
    if (adminEmail && change.email!.toLowerCase() !== user.email.toLowerCase()) {
      await this.claimAdminEmail(change.email!, userId);
      const old = user.email;
      released.push(() => this.claims.release(GLOBAL, 'admin-email', old, userId));
    }
    const steps: UserCommand[] = [];
    if (change.username !== undefined || change.email !== undefined) {
      steps.push({ kind: 'change-profile', ...(change.username ? { username: change.username } : {}), ...(change.email ? { email: change.email } : {}) });
    }
    if (change.role !== undefined) steps.push({ kind: 'change-role', role: change.role, at });
    if (change.active !== undefined) steps.push({ kind: 'set-active', active: change.active, at });
    for (const command of steps) await this.execute(userId, org, command, meta);
    for (const release of released) await release();
    if (change.role !== undefined || change.active === false) await this.sessions.revokeAllOf(userId, at);
    user = await this.userInOrg(org, userId);
    return user;
  }

  /** Deletes a user: sessions revoked, claims and credentials released. Deleting twice is a 404. */
  async deleteUser(org: string, userId: string, meta: EventMetadata): Promise<void> {
    const user = await this.userInOrg(org, userId);
    const at = new Date();
    await this.execute(userId, org, { kind: 'delete', at }, meta);
    await this.sessions.revokeAllOf(userId, at);
    await this.claims.release(org, 'username', user.username, userId);
    await this.claims.release(org, 'email', user.email, userId);
    await this.claims.release(GLOBAL, 'admin-email', user.email, userId);
    await this.credentials.remove(userId);
  }

  /**
   * An organization's admin, found by email alone (the multi-tenant seed's admin login): admin emails
   * of organizations are unique across organizations.
   */
  async organizationOfAdmin(email: string): Promise<string | undefined> {
    const userId = await this.claims.holder(GLOBAL, 'admin-email', email);
    return userId ? (await this.load(userId)).tenant : undefined;
  }

  /** Reserves an organization admin's email across organizations (409 `admin_email_taken` when another holds it). */
  async claimAdminEmail(email: string, userId: string): Promise<void> {
    try {
      await this.claims.claim(GLOBAL, 'admin-email', email, userId);
    } catch (err) {
      if (err instanceof ConflictError) throw new ConflictError('this email is already the admin email of another organization', 'admin_email_taken');
      throw err;
    }
  }

  async releaseAdminEmail(email: string, userId: string): Promise<void> {
    await this.claims.release(GLOBAL, 'admin-email', email, userId);
  }

  /** Sets a new password without the old one (the organizations service resetting its admin's): every session revoked. */
  async resetPassword(org: string, userId: string, password: string, meta: EventMetadata): Promise<UserView> {
    const user = await this.userInOrg(org, userId);
    checkPassword(password, { username: user.username, email: user.email });
    await this.credentials.set(userId, await this.hasher.hash(password));
    const at = new Date();
    await this.execute(userId, org, { kind: 'change-password', reset: true, at }, meta);
    await this.sessions.revokeAllOf(userId, at);
    return this.userInOrg(org, userId);
  }

  /**
   * Everything auth holds for a deleted organization: it is marked deleted (no signup, no first admin),
   * every user in it is deleted (sessions revoked, claims and credentials released), leftover claims
   * dropped. Idempotent: safe to run again for the same organization.
   */
  async purgeOrganization(org: string, meta: EventMetadata): Promise<number> {
    await this.deletedOrganizations.mark(org);
    const userIds = await this.claims.holdersIn(org);
    let deleted = 0;
    for (const userId of userIds) {
      try {
        await this.deleteUser(org, userId, meta);
        deleted++;
      } catch (err) {
        if (!(err instanceof NotFoundError)) throw err;
      }
    }
    await this.claims.releaseAllIn(org);
    await this.purgeReadModel(org);
    return deleted;
  }

  /** Records a refused, throttled login as an audit event (no password, no client address). */
  async auditThrottled(org: string, login: string, retryAfterSeconds: number): Promise<void> {
    await this.store.append(`login-throttle-${randomUUID()}`, 0, [
      { type: LoginThrottled.type, data: { login: login.toLowerCase(), retryAfterSeconds } },
    ], { tenant: org, actor: 'anonymous' });
  }

  /** Checks that a verified token's session is still open (auth is the authority on sessions). */
  async assertSessionOpen(sid: string): Promise<void> {
    const session = await this.sessions.get(sid);
    if (!session || session.revokedAt) throw new UnauthorizedError('session revoked');
  }

  private async revokeSession(sid: string, userId: string, org: string, reason: 'logout' | 'refresh-token-reused'): Promise<void> {
    if (!(await this.sessions.revoke(sid, new Date()))) return;
    const stream = `session-${sid}`;
    const current = await this.store.currentVersion(stream);
    await this.store.append(stream, current, [{ type: SessionRevoked.type, data: { userId, reason } }], { tenant: org, actor: userId });
  }

  private async execute(userId: string, org: string, command: UserCommand, meta: EventMetadata) {
    return handleCommand(this.store, userDecider, userId, command, { ...meta, tenant: org });
  }

  private async load(userId: string): Promise<{ state: UserState; version: number; tenant?: string }> {
    const { version, events } = await this.store.readStream(userId);
    const state = events.reduce<UserState>((s, e) => userDecider.evolve(s, e), userDecider.initialState);
    return { state, version, ...(events[0] ? { tenant: events[0].tenant } : {}) };
  }

  /**
   * Signs the access token. After a revocation at `notBefore`, `iat` is rounded up to the next second so
   * the gateway's rule "revoked when iat * 1000 < revokedBefore" never catches the fresh token.
   */
  private tokens(user: UserView, sid: string, refreshToken: string, notBefore?: Date): TokenPair {
    const now = notBefore ? new Date(Math.max(Date.now(), Math.ceil(notBefore.getTime() / 1000) * 1000)) : new Date();
    const access = signAccessToken(this.ring, { sub: user.id, org: user.organizationId, role: user.role, sid }, {
      issuer: this.options.issuer,
      audience: this.options.audience,
      ttlSeconds: this.options.accessTtlSeconds,
      now,
    });
    return { accessToken: access.token, refreshToken, tokenType: 'Bearer', expiresIn: this.options.accessTtlSeconds, sessionId: sid, user };
  }
}

function view(id: string, org: string, state: UserState, version: number): UserView {
  if (state.status !== 'active' && state.status !== 'inactive') throw new UnauthorizedError('user not found');
  return { id, organizationId: org, username: state.username, email: state.email, role: state.role, active: state.status === 'active', version };
}
