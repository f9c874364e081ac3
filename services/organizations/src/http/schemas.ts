import { z } from 'zod';
import { CursorParam } from '@sms/shared/http';
import { OrganizationName } from '../domain/name';

// Request bodies and queries of /api/v1/organizations. Strict: an unknown field is a 400.
const Email = z.email().max(254);
/**
 * Auth's password policy decides (a 400 with the reasons, relayed); the schema states its length rule
 * for clients and only bounds the input. Organizations never stores or fingerprints the password.
 */
const Password = z.string().min(1).max(1024).meta({
  minLength: 8,
  maxLength: 256,
  description: 'Checked by auth\'s password policy: 8 to 256 characters (Unicode code points, after NFKC normalization), not a common password, '
    + 'not one character repeated, not the admin email. Every character counts: auth SHA-256 pre-hashes it before bcrypt, so nothing past bcrypt\'s 72-byte input is ignored.',
});

export const CreateOrganizationBody = z.object({ name: OrganizationName, admin_email: Email, admin_password: Password }).strict();
export const UpdateOrganizationBody = z
  .object({ name: OrganizationName.optional(), admin_email: Email.optional(), admin_password: Password.optional() })
  .strict()
  .refine((b) => Object.keys(b).length > 0, { message: 'nothing to change' });
export const OrganizationId = z.uuid({ message: 'organization not found' });
export const ListOrganizationsQuery = z
  .object({
    name: OrganizationName.optional(),
    limit: z.coerce.number().int().min(1).max(100).default(20),
    cursor: CursorParam(200).optional(),
  })
  .strict();
