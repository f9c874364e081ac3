import { checkPassword, MAX_PASSWORD_CODE_POINTS, MIN_PASSWORD_CODE_POINTS } from '../passwords/policy';
import { authOpenApi } from './openapi';
import { SignupBody } from './schemas';

type Schema = { properties: Record<string, { minLength?: number; maxLength?: number; description?: string }> };
const components = (authOpenApi() as { components: { schemas: Record<string, Schema> } }).components.schemas;

describe('the documented password rule', () => {
  it.each([
    ['SignupBody', 'password'],
    ['CreateUserBody', 'password'],
    ['ChangePasswordBody', 'newPassword'],
    ['ResetPasswordBody', 'newPassword'],
  ])('%s.%s states the policy\'s length (8-256) and the pre-hash, not the input bound', (body, field) => {
    const schema = components[body]!.properties[field]!;
    expect({ min: schema.minLength, max: schema.maxLength }).toEqual({ min: MIN_PASSWORD_CODE_POINTS, max: MAX_PASSWORD_CODE_POINTS });
    expect(schema.description).toMatch(/8 to 256 characters.*SHA-256 pre-hashed before bcrypt/);
  });

  it('is what signup enforces: 256 characters pass, 257 and 1024 are refused', () => {
    const body = (password: string) => ({ username: 'ada', email: 'ada@example.com', password });
    const passphrase = 'quiet orchard lantern '.repeat(50);
    for (const [length, accepted] of [[256, true], [257, false], [1024, false]] as const) {
      const password = passphrase.slice(0, length);
      const parsed = SignupBody.parse(body(password));
      expect([length, (() => { try { checkPassword(parsed.password); return true; } catch { return false; } })()]).toEqual([length, accepted]);
    }
  });
});
