import {
  OrganizationAdminChanged, OrganizationCreated, OrganizationDeleted, OrganizationRenamed, type PendingOrganizationEvent,
} from '@sms/shared/contracts';
import { ConflictError, NotFoundError, ValidationError } from '@sms/shared/errors';
import type { Decider, EventEnvelope } from '@sms/shared/events';
import { nameKey } from './name';

export interface OrganizationRecord {
  id: string;
  name: string;
  adminUserId: string;
  adminEmail: string;
  createdAt: string;
  updatedAt: string;
}

export type OrganizationCommand =
  | { kind: 'create'; id: string; name: string; adminUserId: string; adminEmail: string; at: Date }
  | { kind: 'rename'; name: string; at: Date }
  | { kind: 'change-admin-email'; email: string; at: Date }
  | { kind: 'delete'; at: Date };

export type OrganizationState =
  | { status: 'none' }
  | { status: 'active'; organization: OrganizationRecord }
  | { status: 'deleted'; name: string };

function existing(state: OrganizationState): OrganizationRecord {
  if (state.status !== 'active') throw new NotFoundError('organization not found');
  return state.organization;
}

export const organizationDecider: Decider<OrganizationCommand, PendingOrganizationEvent, OrganizationState> = {
  initialState: { status: 'none' },

  decide(command, state) {
    switch (command.kind) {
      case 'create':
        if (state.status !== 'none') throw new ConflictError('organization already exists', 'organization_exists');
        return [{
          type: OrganizationCreated.type,
          data: { name: command.name, adminUserId: command.adminUserId, adminEmail: command.adminEmail, created_at: command.at.toISOString() },
        }];
      case 'rename': {
        const organization = existing(state);
        if (organization.name === command.name) return [];
        return [{ type: OrganizationRenamed.type, data: { name: command.name, previousName: organization.name, renamed_at: command.at.toISOString() } }];
      }
      case 'change-admin-email': {
        const organization = existing(state);
        if (nameKey(organization.adminEmail) === nameKey(command.email)) return [];
        return [{
          type: OrganizationAdminChanged.type,
          data: { adminEmail: command.email, previousAdminEmail: organization.adminEmail, changed_at: command.at.toISOString() },
        }];
      }
      case 'delete':
        // Deleting twice changes nothing: the second one succeeds without an event.
        if (state.status === 'deleted') return [];
        return [{ type: OrganizationDeleted.type, data: { name: existing(state).name, deleted_at: command.at.toISOString() } }];
      default: {
        const unhandled: never = command;
        throw new ValidationError(`unknown command ${JSON.stringify(unhandled)}`);
      }
    }
  },

  evolve(state, event: PendingOrganizationEvent | EventEnvelope) {
    const e = event as PendingOrganizationEvent & { subject?: string };
    switch (e.type) {
      case 'organizations.organization.created.v1':
        return {
          status: 'active',
          organization: {
            id: e.subject ?? '', name: e.data.name, adminUserId: e.data.adminUserId, adminEmail: e.data.adminEmail,
            createdAt: e.data.created_at, updatedAt: e.data.created_at,
          },
        };
      case 'organizations.organization.renamed.v1':
        return state.status === 'active' ? { status: 'active', organization: { ...state.organization, name: e.data.name, updatedAt: e.data.renamed_at } } : state;
      case 'organizations.organization.admin-changed.v1':
        return state.status === 'active'
          ? { status: 'active', organization: { ...state.organization, adminEmail: e.data.adminEmail, updatedAt: e.data.changed_at } }
          : state;
      case 'organizations.organization.deleted.v1':
        return { status: 'deleted', name: e.data.name };
      default:
        return state;
    }
  },
};
