import { randomUUID } from 'node:crypto';
import type { Db } from 'mongodb';
import type { Logger } from 'pino';
import type { AccessClaims } from '@sms/shared/auth';
import { ForbiddenError, NotFoundError } from '@sms/shared/errors';
import type { EventMetadata } from '@sms/shared/events';
import type { EventStore } from '@sms/shared/eventstore';
import { staleVersion, type IfMatchVersions } from '@sms/shared/http';
import { collectionOf } from '../domain/name';
import { organizationDecider, type OrganizationCommand, type OrganizationRecord, type OrganizationState } from '../domain/organization.decide';
import type { AuthClient } from '../infrastructure/auth-client';
import { NameClaims } from '../infrastructure/name-claims';

export interface OrganizationView extends OrganizationRecord {
  collectionName: string;
  version: number;
}

/** Every organization's first admin has this username in its organization (the seed knows admins by email). */
export const FIRST_ADMIN_USERNAME = 'admin';

export interface OrganizationChange {
  name?: string;
  adminEmail?: string;
  adminPassword?: string;
}

/**
 * The organizations use cases. Creating one crosses two services: the name is claimed (pending), auth
 * creates the first admin, the `created` event is appended, the claim becomes active. A failure in
 * between is compensated (auth purges the organization, the name is released); a creation whose
 * process died is finished or compensated by `recover`.
 */
export class Organizations {
  readonly names: NameClaims;

  constructor(
    db: Db,
    private readonly store: EventStore,
    private readonly auth: AuthClient,
    private readonly logger: Logger,
  ) {
    this.names = new NameClaims(db);
  }

  async create(input: { name: string; email: string; password: string }, meta: Omit<EventMetadata, 'tenant'>): Promise<OrganizationView> {
    const id = randomUUID();
    const adminUserId = randomUUID();
    await this.names.claim(input.name, id, { state: 'pending', adminUserId, adminEmail: input.email });
    let appended = false;
    try {
      await this.auth.createFirstAdmin(id, { userId: adminUserId, username: FIRST_ADMIN_USERNAME, email: input.email, password: input.password }, meta.correlationId);
      const at = meta.now ?? new Date();
      const result = await this.execute(id, { kind: 'create', id, name: input.name, adminUserId, adminEmail: input.email, at }, { ...meta, tenant: id });
      appended = true;
      await this.names.activate(input.name, id);
      return this.view(id, result);
    } catch (err) {
      // Once the organization exists it stays; a claim left pending is activated by `recover`.
      if (!appended) await this.compensate(id, input.name, meta.correlationId);
      throw err;
    }
  }

  /** One organization, from its events (a client reads its own write at once). */
  async get(id: string): Promise<OrganizationView> {
    return this.view(id, await this.load(id));
  }

  async idOfName(name: string): Promise<string> {
    const claim = await this.names.holder(name);
    if (!claim || claim.state !== 'active') throw new NotFoundError(`organization "${name}" not found`);
    return claim.orgId;
  }

  /**
   * Its own admin renames the organization, changes the admin email or resets the admin password.
   * The new name is claimed first and auth changes next, so a refusal of either changes nothing.
   */
  async update(id: string, change: OrganizationChange, caller: AccessClaims, meta: Omit<EventMetadata, 'tenant'>, ifMatch?: IfMatchVersions): Promise<OrganizationView> {
    const current = await this.ownedBy(id, caller);
    if (ifMatch !== undefined && !ifMatch.includes(current.version)) throw staleVersion('the organization', current.version, ifMatch);
    const renaming = change.name !== undefined && change.name !== current.name;
    if (renaming) await this.names.claim(change.name!, id);
    try {
      if (change.adminEmail !== undefined || change.adminPassword !== undefined) {
        await this.auth.changeAdmin(id, current.adminUserId, {
          ...(change.adminEmail !== undefined ? { email: change.adminEmail } : {}),
          ...(change.adminPassword !== undefined ? { password: change.adminPassword } : {}),
        }, meta.correlationId);
      }
      const at = meta.now ?? new Date();
      let result = await this.load(id);
      if (change.adminEmail !== undefined) result = await this.execute(id, { kind: 'change-admin-email', email: change.adminEmail, at }, { ...meta, tenant: id }, result);
      if (renaming) result = await this.execute(id, { kind: 'rename', name: change.name!, at }, { ...meta, tenant: id }, result);
      if (renaming) await this.names.release(current.name, id);
      return this.view(id, result);
    } catch (err) {
      if (renaming && (await this.load(id).then((r) => r.state.status === 'active' && r.state.organization.name !== change.name))) {
        await this.names.release(change.name!, id);
      }
      throw err;
    }
  }

  /**
   * Its own admin deletes the organization. The event does the rest: auth deletes its users and the
   * gateway refuses its tokens, students drop its students, the projector drops its collection.
   * Deleting again succeeds and changes nothing.
   */
  async delete(id: string, caller: AccessClaims, meta: Omit<EventMetadata, 'tenant'>): Promise<{ name: string; collectionName: string }> {
    if (caller.org !== id) throw new ForbiddenError('only the organization\'s own admin may delete it');
    const loaded = await this.load(id);
    if (loaded.state.status === 'none') throw new NotFoundError('organization not found');
    const name = loaded.state.status === 'active' ? loaded.state.organization.name : loaded.state.name;
    if (loaded.state.status === 'active') this.assertAdmin(caller);
    await this.execute(id, { kind: 'delete', at: meta.now ?? new Date() }, { ...meta, tenant: id }, loaded);
    await this.names.release(name, id);
    return { name, collectionName: collectionOf(name) };
  }

  /**
   * Finishes or undoes creations left pending by a process that died: an organization whose event
   * exists keeps its name; otherwise auth purges it and the name is released.
   */
  async recover(olderThanMs: number): Promise<number> {
    const stale = await this.names.pendingSince(new Date(Date.now() - olderThanMs));
    for (const claim of stale) {
      const { state } = await this.load(claim.orgId);
      if (state.status === 'active') await this.names.activate(claim._id, claim.orgId);
      else await this.compensate(claim.orgId, claim._id);
    }
    return stale.length;
  }

  private async compensate(id: string, name: string, requestId?: string): Promise<void> {
    try {
      await this.auth.purgeOrganization(id, requestId);
      await this.names.release(name, id);
    } catch (err) {
      // The claim stays pending: `recover` tries again later.
      this.logger.warn({ err: (err as Error).message, organization: id }, 'could not compensate a failed organization creation yet');
    }
  }

  private async ownedBy(id: string, caller: AccessClaims): Promise<OrganizationView> {
    if (caller.org !== id) throw new ForbiddenError('only the organization\'s own admin may change it');
    this.assertAdmin(caller);
    return this.get(id);
  }

  private assertAdmin(caller: AccessClaims): void {
    if (caller.role !== 'admin') throw new ForbiddenError('admin role required');
  }

  private async execute(
    id: string,
    command: OrganizationCommand,
    meta: EventMetadata,
    loaded?: { state: OrganizationState; version: number },
  ): Promise<{ state: OrganizationState; version: number }> {
    const { state, version } = loaded ?? (await this.load(id));
    const events = organizationDecider.decide(command, state);
    if (events.length === 0) return { state, version };
    const appended = await this.store.append(id, version, events, meta);
    return { state: appended.events.reduce<OrganizationState>((s, e) => organizationDecider.evolve(s, e), state), version: appended.version };
  }

  private async load(id: string): Promise<{ state: OrganizationState; version: number }> {
    const { version, events } = await this.store.readStream(id);
    return { state: events.reduce<OrganizationState>((s, e) => organizationDecider.evolve(s, e), organizationDecider.initialState), version };
  }

  private view(id: string, { state, version }: { state: OrganizationState; version: number }): OrganizationView {
    if (state.status !== 'active') throw new NotFoundError('organization not found');
    return { ...state.organization, id, collectionName: collectionOf(state.organization.name), version };
  }
}
