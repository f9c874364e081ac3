import { join } from 'node:path';
import type { RunningService } from '@sms/shared/service';
import { client, startAuth, type Client } from '../support/auth';
import { eventually, testEndpoints, unique } from '../support/backbone';
import { repoRoot, runScript, type ScriptRun } from '../support/script';

// The first-user script (seed 004) run as an operator would: a child process on the same database the
// auth service then serves.
const script = join(repoRoot, 'services', 'auth', 'src', 'scripts', 'create-user.ts');
const dbName = unique('t_create_user').replace(/-/g, '_');
const password = 'first admin passphrase';

type Run = ScriptRun;

function createUser(args: string[], env: Record<string, string | undefined> = {}): Promise<Run> {
  const { kafkaBrokers, mongoUrl } = testEndpoints();
  return runScript(script, args, {
    MONGO_URL: mongoUrl,
    KAFKA_BROKERS: kafkaBrokers.join(','),
    MONGO_DB: dbName,
    BCRYPT_COST: '4',
    CREATE_USER_PASSWORD: password,
    ...env,
  });
}

let auth: RunningService | undefined;
let api: Client;

afterAll(async () => {
  await auth?.context.mongo?.db.dropDatabase().catch(() => undefined);
  await auth?.stop();
});

describe('npm run create-user', () => {
  it('creates an admin the service then logs in, through the outbox the service relays', async () => {
    const run = await createUser(['--username', 'admin', '--email', 'admin@example.com']);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/created admin 'admin'/);
    expect(run.stdout).toMatch(/relay/);
    expect(run.stdout + run.stderr).not.toContain(password);

    auth = await startAuth({ MONGO_DB: dbName });
    api = client(auth.url);
    const login = await api.post('/api/v1/auth/login', { username: 'admin', password });
    expect(login.status).toBe(200);
    expect(login.body.user).toMatchObject({ username: 'admin', email: 'admin@example.com', role: 'admin', organizationId: 'default' });

    // The running service's relay published the script's commit.
    const commits = auth.context.mongo!.db.collection('event_commits');
    await eventually(async () => (await commits.findOne({ stream: login.body.user.id, published: true })) !== null, 20_000, 'the commit published');

    // The script's admin closed the open first-admin signup.
    const signup = await api.post('/api/v1/auth/admin-signup', { username: 'mallory', email: 'mallory@example.com', password: 'a mallory passphrase' });
    expect(signup.status).toBe(403);
  });

  it('is safe to run twice: reports the user and changes nothing, not even the password', async () => {
    const again = await createUser(['--username', 'ADMIN', '--email', 'other@example.com', '--role', 'user'], { CREATE_USER_PASSWORD: 'a different passphrase' });
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/exists/);
    expect((await api.post('/api/v1/auth/login', { username: 'admin', password: 'a different passphrase' })).status).toBe(401);
    const login = await api.post('/api/v1/auth/login', { username: 'admin', password });
    expect(login.status).toBe(200);
    expect(login.body.user.role).toBe('admin');
  });

  it('creates a plain user of another organization when asked', async () => {
    const run = await createUser(['--username', 'teacher', '--email', 'teacher@example.com', '--organization', 'school-2', '--role', 'user']);
    expect(run.code).toBe(0);
    const login = await api.post('/api/v1/auth/login', { username: 'teacher', password, organization: 'school-2' });
    expect(login.status).toBe(200);
    expect(login.body.user).toMatchObject({ role: 'user', organizationId: 'school-2' });
  });

  it.each<[string, string[], Record<string, string | undefined>, RegExp]>([
    ['a weak password', ['--username', 'weakling', '--email', 'weak@example.com'], { CREATE_USER_PASSWORD: 'password123' }, /common/],
    ['a password equal to the username', ['--username', 'samesame', '--email', 'same@example.com'], { CREATE_USER_PASSWORD: 'samesame' }, /username/],
    ['no password and no terminal', ['--username', 'nopass', '--email', 'nopass@example.com'], { CREATE_USER_PASSWORD: undefined }, /CREATE_USER_PASSWORD/],
    ['a bad username', ['--username', 'a b', '--email', 'ab@example.com'], {}, /--username/],
    ['a bad email', ['--username', 'bademail', '--email', 'not-an-email'], {}, /--email/],
    ['a bad role', ['--username', 'badrole', '--email', 'badrole@example.com', '--role', 'root'], {}, /--role/],
    ['a missing email', ['--username', 'noemail'], {}, /--email is required/],
    ['an unknown option', ['--username', 'x1x', '--email', 'x1x@example.com', '--admin'], {}, /Unknown option/],
    ['an email another user holds', ['--username', 'copycat', '--email', 'ADMIN@example.com'], {}, /email already taken/],
  ])('refuses %s with exit code 2 and creates nothing', async (_case, args, env, message) => {
    const run = await createUser(args, env);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(message);
    const tried = env.CREATE_USER_PASSWORD ?? password;
    expect(run.stdout + run.stderr).not.toContain(tried);
    expect((await api.post('/api/v1/auth/login', { username: args[1]!, password: tried })).status).toBe(401);
  });
});
