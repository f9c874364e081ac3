import { deciderSpec } from '@sms/shared/testing';
import { userDecider } from './user.decide';
import type { PendingUserEvent } from './user.events';

const spec = deciderSpec(userDecider);
const at = new Date('2026-11-30T10:00:00.000Z');
const registered: PendingUserEvent = { type: 'auth.user.registered.v1', data: { username: 'ada', email: 'ada@example.com', role: 'user' } };

describe('user decider', () => {
  describe('when nothing happened yet', () => {
    it('registers with the role the caller decided', () => {
      spec.given([]).when({ kind: 'register', username: 'ada', email: 'ada@example.com', role: 'user' }).then([registered]);
    });
    it('has nothing to change, delete or revoke', () => {
      spec.given([]).when({ kind: 'change-role', role: 'admin', at }).thenThrows('user not found');
      spec.given([]).when({ kind: 'delete', at }).thenThrows('user not found');
    });
  });

  describe('when registered', () => {
    it('refuses a second registration', () => {
      spec.given([registered]).when({ kind: 'register', username: 'ada', email: 'x@example.com', role: 'admin' }).thenThrows('user already exists');
    });
    it('changes only what differs in the profile (email compared case-insensitively)', () => {
      spec.given([registered]).when({ kind: 'change-profile', username: 'ada', email: 'ADA@example.com' }).then([]);
      spec.given([registered]).when({ kind: 'change-profile', email: 'new@example.com' }).then([
        { type: 'auth.user.profile-changed.v1', data: { email: 'new@example.com' } },
      ]);
    });
    it('revokes sessions when the password changes', () => {
      spec.given([registered]).when({ kind: 'change-password', reset: false, at }).then([
        { type: 'auth.user.password-changed.v1', data: { reset: false } },
        { type: 'auth.user.sessions-revoked.v1', data: { revokedBefore: at.toISOString(), reason: 'password-changed' } },
      ]);
    });
    it('revokes sessions before deleting', () => {
      spec.given([registered]).when({ kind: 'delete', at }).then([
        { type: 'auth.user.sessions-revoked.v1', data: { revokedBefore: at.toISOString(), reason: 'deleted' } },
        { type: 'auth.user.deleted.v1', data: {} },
      ]);
    });
    it('changing to the same role is a no-op', () => {
      spec.given([registered]).when({ kind: 'change-role', role: 'user', at }).then([]);
    });
  });

  describe('when deleted', () => {
    it('nothing else can happen to it', () => {
      const deleted: PendingUserEvent = { type: 'auth.user.deleted.v1', data: {} };
      spec.given([registered, deleted]).when({ kind: 'change-password', reset: true, at }).thenThrows('user not found');
      spec.given([registered, deleted]).when({ kind: 'register', username: 'ada', email: 'ada@example.com', role: 'user' }).thenThrows('user already exists');
    });
  });
});
