import { z } from 'zod';

/**
 * An organization's name. It becomes part of a MongoDB collection name (`org_<name>`), so only what
 * cannot escape it is allowed: ASCII letters, digits, `_` and `-`, 2-50 characters, starting and
 * ending with a letter or digit. No `$`, dots, slashes, spaces or look-alike unicode. Unique
 * case-insensitively: the collection uses the lowercased name.
 */
export const OrganizationName = z
  .string()
  .min(2, 'must be at least 2 characters')
  .max(50, 'must be at most 50 characters')
  .regex(/^[A-Za-z0-9](?:[A-Za-z0-9_-]*[A-Za-z0-9])?$/, 'may hold only ASCII letters, digits, "_" and "-", and must start and end with a letter or digit')
  .refine((name) => !RESERVED.has(name.toLowerCase()), 'is reserved');

/** `default` is the single-tenant seeds' organization, owned by the platform. */
const RESERVED = new Set(['default', 'admin', 'system', 'internal']);

export const nameKey = (name: string): string => name.toLowerCase();
export const collectionOf = (name: string): string => `org_${nameKey(name)}`;
