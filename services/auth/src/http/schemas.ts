import { z } from 'zod';
import { CursorParam, plainText } from '@sms/shared/http';
import { MAX_PASSWORD_CODE_POINTS, MIN_PASSWORD_CODE_POINTS, PASSWORD_RULES } from '../passwords/policy';

// Request bodies of the v1 API. Strict: an unknown field (a `role` in a signup, say) is a 400.

export const Username = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{2,31}$/, 'must be 3-32 letters, digits, dots, dashes or underscores, starting with a letter or digit');
export const Email = z.email().max(254);
/** A password presented (login, current password): only bounded here; a wrong one is a 401. */
export const Password = z.string().max(1024);
/**
 * A password being set. The password policy decides, with a reason per failure; the schema states its
 * length rule for clients (JSON Schema counts code points too) and only bounds the input before that work.
 */
export const NewPassword = Password.meta({ minLength: MIN_PASSWORD_CODE_POINTS, maxLength: MAX_PASSWORD_CODE_POINTS, description: PASSWORD_RULES });
export const Organization = plainText(100).regex(/^[A-Za-z0-9_-]+$/, 'must be an organization id');

export const SignupBody = z.object({ username: Username, email: Email, password: NewPassword }).strict();
export const LoginBody = z
  .object({ username: plainText(254).optional(), email: Email.optional(), password: Password, organization: Organization.optional() })
  .strict()
  .refine((b) => b.username !== undefined || b.email !== undefined, { message: 'username or email is required', path: ['username'] });
/** The organizations service names the user id, so a retried call is recognised. */
export const FirstAdminBody = SignupBody.extend({ userId: z.uuid().optional() }).strict();
/** The organizations service changing its admin: a new email, a new password, or both. */
export const AdminChangeBody = z
  .object({ email: Email.optional(), password: NewPassword.optional() })
  .strict()
  .refine((b) => b.email !== undefined || b.password !== undefined, { message: 'nothing to change' });
/** Organization admins log in by email alone (admin emails are unique across organizations). */
export const AdminLoginBody = z.object({ email: Email, password: Password }).strict();
export const RefreshBody = z.object({ refreshToken: z.string().min(1).max(300) }).strict();
export const ChangePasswordBody = z.object({ currentPassword: Password, newPassword: NewPassword }).strict();
/** An admin setting another user's password (a forgotten one): no current password. */
export const ResetPasswordBody = z.object({ newPassword: NewPassword }).strict();

export const RoleField = z.enum(['admin', 'user']);
export const CreateUserBody = z.object({ username: Username, email: Email, password: NewPassword, role: RoleField.default('user') }).strict();
export const UpdateUserBody = z
  .object({ username: Username.optional(), email: Email.optional(), role: RoleField.optional(), active: z.boolean().optional() })
  .strict()
  .refine((b) => Object.keys(b).length > 0, { message: 'nothing to change' });
export const UserId = z.uuid({ message: 'user not found' });
export const ListUsersQuery = z
  .object({
    role: RoleField.optional(),
    active: z.enum(['true', 'false']).transform((v) => v === 'true').optional(),
    q: plainText(64).optional(),
    limit: z.coerce.number().int().min(1).max(100).default(20),
    cursor: CursorParam(200).optional(),
  })
  .strict();
export { IfMatch } from '@sms/shared/http';
