import { ConflictError, NotFoundError, ValidationError } from '@sms/shared/errors';
import type { Decider, EventEnvelope } from '@sms/shared/events';
import {
  UserActivationChanged, UserDeleted, UserPasswordChanged, UserProfileChanged, UserRegistered, UserRoleChanged, UserSessionsRevoked,
  type PendingUserEvent, type Role,
} from './user.events';

export type UserCommand =
  | { kind: 'register'; username: string; email: string; role: Role }
  | { kind: 'change-profile'; username?: string; email?: string }
  | { kind: 'change-role'; role: Role; at: Date }
  | { kind: 'set-active'; active: boolean; at: Date }
  | { kind: 'change-password'; reset: boolean; at: Date }
  | { kind: 'revoke-sessions'; at: Date }
  | { kind: 'delete'; at: Date };

export type UserState =
  | { status: 'none' }
  | { status: 'active' | 'inactive'; username: string; email: string; role: Role; revokedBefore?: string }
  | { status: 'deleted' };

const same = (a: string, b: string) => a.toLowerCase() === b.toLowerCase();

function existing(state: UserState): Extract<UserState, { username: string }> {
  if (state.status === 'none' || state.status === 'deleted') throw new NotFoundError('user not found');
  return state;
}

const revoke = (at: Date, reason: 'logout-everywhere' | 'password-changed' | 'role-changed' | 'deactivated' | 'deleted'): PendingUserEvent => ({
  type: UserSessionsRevoked.type,
  data: { revokedBefore: at.toISOString(), reason },
});

export const userDecider: Decider<UserCommand, PendingUserEvent, UserState> = {
  initialState: { status: 'none' },

  decide(command, state) {
    switch (command.kind) {
      case 'register':
        if (state.status !== 'none') throw new ConflictError('user already exists', 'user_exists');
        return [{ type: UserRegistered.type, data: { username: command.username, email: command.email, role: command.role } }];
      case 'change-profile': {
        const user = existing(state);
        const data: { username?: string; email?: string } = {};
        if (command.username !== undefined && command.username !== user.username) data.username = command.username;
        if (command.email !== undefined && !same(command.email, user.email)) data.email = command.email;
        return Object.keys(data).length > 0 ? [{ type: UserProfileChanged.type, data }] : [];
      }
      case 'change-role': {
        const user = existing(state);
        if (user.role === command.role) return [];
        return [
          { type: UserRoleChanged.type, data: { role: command.role, previousRole: user.role } },
          // Tokens carry the role: the old ones must stop working.
          revoke(command.at, 'role-changed'),
        ];
      }
      case 'set-active': {
        const user = existing(state);
        if ((user.status === 'active') === command.active) return [];
        const changed: PendingUserEvent = { type: UserActivationChanged.type, data: { active: command.active } };
        return command.active ? [changed] : [changed, revoke(command.at, 'deactivated')];
      }
      case 'change-password':
        existing(state);
        return [{ type: UserPasswordChanged.type, data: { reset: command.reset } }, revoke(command.at, 'password-changed')];
      case 'revoke-sessions':
        existing(state);
        return [revoke(command.at, 'logout-everywhere')];
      case 'delete':
        existing(state);
        return [revoke(command.at, 'deleted'), { type: UserDeleted.type, data: {} }];
      default: {
        const unhandled: never = command;
        throw new ValidationError(`unknown command ${JSON.stringify(unhandled)}`);
      }
    }
  },

  evolve(state, event: PendingUserEvent | EventEnvelope) {
    const e = event as PendingUserEvent;
    switch (e.type) {
      case 'auth.user.registered.v1':
        return { status: 'active', username: e.data.username, email: e.data.email, role: e.data.role };
      case 'auth.user.profile-changed.v1':
        return state.status === 'active' || state.status === 'inactive' ? { ...state, ...stripUndefined(e.data) } : state;
      case 'auth.user.role-changed.v1':
        return state.status === 'active' || state.status === 'inactive' ? { ...state, role: e.data.role } : state;
      case 'auth.user.activation-changed.v1':
        return state.status === 'active' || state.status === 'inactive' ? { ...state, status: e.data.active ? 'active' : 'inactive' } : state;
      case 'auth.user.deleted.v1':
        return { status: 'deleted' };
      case 'auth.user.sessions-revoked.v1':
        return state.status === 'active' || state.status === 'inactive' ? { ...state, revokedBefore: e.data.revokedBefore } : state;
      case 'auth.user.password-changed.v1':
        return state;
      default:
        return state;
    }
  },
};

function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
