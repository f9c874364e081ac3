import type { PendingOrganizationEvent } from '@sms/shared/contracts';
import { deciderSpec } from '@sms/shared/testing';
import { OrganizationName } from './name';
import { organizationDecider } from './organization.decide';

const spec = deciderSpec(organizationDecider);
const at = new Date('2026-11-30T10:00:00.000Z');
const created: PendingOrganizationEvent = {
  type: 'organizations.organization.created.v1',
  data: { name: 'alpha', adminUserId: 'u-1', adminEmail: 'admin@alpha.test', created_at: at.toISOString() },
};
const deleted: PendingOrganizationEvent = { type: 'organizations.organization.deleted.v1', data: { name: 'alpha', deleted_at: at.toISOString() } };

describe('organization decider', () => {
  it('creates an organization once', () => {
    spec.given([]).when({ kind: 'create', id: 'o-1', name: 'alpha', adminUserId: 'u-1', adminEmail: 'admin@alpha.test', at }).then([created]);
    spec.given([created]).when({ kind: 'create', id: 'o-1', name: 'alpha', adminUserId: 'u-1', adminEmail: 'admin@alpha.test', at }).thenThrows('already exists');
  });

  it('renames with the previous name, and a rename to the same name is no event', () => {
    spec.given([created]).when({ kind: 'rename', name: 'beta', at }).then([
      { type: 'organizations.organization.renamed.v1', data: { name: 'beta', previousName: 'alpha', renamed_at: at.toISOString() } },
    ]);
    spec.given([created]).when({ kind: 'rename', name: 'alpha', at }).then([]);
  });

  it('changes the admin email unless it is the same one in another case', () => {
    spec.given([created]).when({ kind: 'change-admin-email', email: 'new@alpha.test', at }).then([
      {
        type: 'organizations.organization.admin-changed.v1',
        data: { adminEmail: 'new@alpha.test', previousAdminEmail: 'admin@alpha.test', changed_at: at.toISOString() },
      },
    ]);
    spec.given([created]).when({ kind: 'change-admin-email', email: 'ADMIN@alpha.test', at }).then([]);
  });

  it('deletes once; deleting again succeeds with no event; a deleted organization cannot change', () => {
    spec.given([created]).when({ kind: 'delete', at }).then([deleted]);
    spec.given([created, deleted]).when({ kind: 'delete', at }).then([]);
    spec.given([created, deleted]).when({ kind: 'rename', name: 'gamma', at }).thenThrows('organization not found');
    spec.given([]).when({ kind: 'delete', at }).thenThrows('organization not found');
  });
});

describe('organization names', () => {
  it.each(['alpha', 'alpha_updated', 'Team-42', 'ab'])('accepts %p', (name) => {
    expect(OrganizationName.safeParse(name).success).toBe(true);
  });
  it.each([
    ['a $ sign', 'al$pha'], ['a dot', 'alpha.beta'], ['a slash', 'alpha/beta'], ['spaces only', '   '], ['a space', 'alpha beta'],
    ['1,000 characters', 'a'.repeat(1000)], ['a look-alike Cyrillic a', 'аlpha'], ['a zero-width space', 'al\u200bpha'],
    ['a trailing dash', 'alpha-'], ['one character', 'a'], ['the reserved default', 'Default'], ['a NUL', 'al\u0000pha'],
  ])('refuses %s', (_why, name) => {
    expect(OrganizationName.safeParse(name).success).toBe(false);
  });
});
