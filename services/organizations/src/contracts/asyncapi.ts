/**
 * The public contract of `organizations.events`: an AsyncAPI 3.0 document and a JSON Schema per event
 * type, generated from the zod schemas in @sms/shared/contracts, served without a token at
 * /contracts/organizations/* (the gateway passes it on at /docs/asyncapi/organizations.json).
 */
import { organizationEvents } from '@sms/shared/contracts';
import { contractRoutes, type TopicContract } from '@sms/shared/openapi';

export const CONTRACT_PATH = '/contracts/organizations';

const descriptions: Record<string, string> = {
  'organizations.organization.created.v1': 'An organization was created with its first admin (`adminUserId`, an auth user). Subject = tenant = the organization id.',
  'organizations.organization.renamed.v1': 'The organization was renamed. Its id (and so every token\'s `org`) does not change.',
  'organizations.organization.admin-changed.v1': 'The admin\'s email changed.',
  'organizations.organization.deleted.v1': 'The organization was deleted: drop everything you hold of this tenant. The last event of its stream.',
};

export const organizationsContract = (topic: string): TopicContract => ({
  title: 'Organizations events',
  version: '1.0.0',
  description: [
    'The tenants of the platform. Never a password or hash.',
    'Delivery is at least once, in order per organization: consumers deduplicate by `id` or fold by `(subject, version)`.',
    'Types are versioned (`.vN`); skip types you do not know.',
  ].join(' '),
  topic,
  contractPath: CONTRACT_PATH,
  events: [...organizationEvents],
  descriptions,
  key: 'The organization id; one organization\'s events share a partition, in order.',
});

/** `GET /contracts/organizations/asyncapi.json`, `/contracts/organizations/schemas[/<type>.json]` (public). */
export const organizationsContractRoutes = (topic: string) => contractRoutes(organizationsContract(topic));
