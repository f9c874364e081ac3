import type { KafkaMessage } from 'kafkajs';
import type { RunningService } from '@sms/shared/service';
import type { Config } from '../../services/auth/src/config';
import { createKafka } from '@sms/shared/kafka';
import { bearer, client, startAuth, type Client } from '../support/auth';
import { eventually, silentLogger, testEndpoints, unique } from '../support/backbone';

let auth: RunningService<Config>;
let api: Client;
const password = 'correct horse battery staple';

beforeAll(async () => {
  auth = await startAuth();
  api = client(auth.url);
});
afterAll(async () => {
  await auth.context.mongo?.db.dropDatabase().catch(() => undefined);
  await auth.stop();
});

async function signupAndLogin(username = unique('u').replace(/-/g, '')) {
  const signup = await api.post('/api/v1/auth/signup', { username, email: `${username}@example.com`, password });
  expect(signup.status).toBe(201);
  const login = await api.post('/api/v1/auth/login', { username, password });
  expect(login.status).toBe(200);
  return { username, user: signup.body.user, tokens: login.body };
}

describe('signup', () => {
  it('creates a user of the default organization, never granting a role asked for', async () => {
    const res = await api.post('/api/v1/auth/signup', { username: 'ada', email: 'ada@example.com', password });
    expect(res.status).toBe(201);
    expect(res.body.user).toMatchObject({ username: 'ada', email: 'ada@example.com', role: 'user', organizationId: 'default', active: true, version: 1 });
    const escalation = await api.post('/api/v1/auth/signup', { username: 'eve', email: 'eve@example.com', password, role: 'admin' });
    expect(escalation.status).toBe(400);
    expect(escalation.body.detail).toMatch(/role|Unrecognized/i);
  });

  it('refuses a username or email taken case-insensitively', async () => {
    expect((await api.post('/api/v1/auth/signup', { username: 'ADA', email: 'other@example.com', password })).status).toBe(409);
    const res = await api.post('/api/v1/auth/signup', { username: 'ada2', email: 'Ada@Example.com', password });
    expect(res.status).toBe(409);
    expect(res.body.detail).toBe('email already taken');
  });

  it.each([
    ['a short password', { username: 'bob1', email: 'bob1@example.com', password: 'short' }, /at least 8/],
    ['a common password', { username: 'bob2', email: 'bob2@example.com', password: 'password123' }, /common/],
    ['the username as password', { username: 'bobbybobby', email: 'bob3@example.com', password: 'BobbyBobby' }, /username|email/],
    ['a bad username', { username: 'b o b', email: 'bob4@example.com', password }, /username/],
    ['a bad email', { username: 'bob5', email: 'not-an-email', password }, /email/],
    ['an operator-shaped value', { username: { $gt: '' }, email: 'bob6@example.com', password }, /username/],
  ])('answers %s with a 400 and creates nothing', async (_case, body, detail) => {
    const res = await api.post('/api/v1/auth/signup', body);
    expect(res.status).toBe(400);
    expect(res.body.detail).toMatch(detail);
    // Nothing was claimed: the same username and email, where valid, can still sign up.
    const username = typeof body.username === 'string' && /^[a-z0-9]+$/.test(body.username) ? body.username : unique('ok').replace(/-/g, '');
    const email = body.email.includes('@') ? body.email : `${username}@example.com`;
    const again = await api.post('/api/v1/auth/signup', { username, email, password });
    expect(again.status).toBe(201);
  });
});

describe('login', () => {
  it('returns an access token, a refresh token and the user; JSON or form-encoded', async () => {
    const { username } = await signupAndLogin();
    const form = await api.post('/api/v1/auth/login', `username=${username}&password=${encodeURIComponent(password)}`, {
      'content-type': 'application/x-www-form-urlencoded',
    });
    expect(form.status).toBe(200);
    expect(form.body).toMatchObject({ tokenType: 'Bearer', expiresIn: 900, user: { username, role: 'user' } });
    expect(form.body.accessToken.split('.')).toHaveLength(3);
    expect(form.headers.get('cache-control')).toBe('no-store');
  });

  it('gives the same answer for an unknown user and a wrong password', async () => {
    const { username } = await signupAndLogin();
    const wrong = await api.post('/api/v1/auth/login', { username, password: 'wrong password here' });
    const unknown = await api.post('/api/v1/auth/login', { username: 'nobody-at-all', password });
    expect(wrong.status).toBe(401);
    expect(unknown.status).toBe(401);
    expect(wrong.body.detail).toBe(unknown.body.detail);
  });

  it('throttles an account after repeated failures, with Retry-After, whatever X-Forwarded-For says', async () => {
    const { username } = await signupAndLogin();
    for (let i = 0; i < 5; i++) {
      const res = await api.post('/api/v1/auth/login', { username, password: 'wrong password here' }, { 'x-forwarded-for': `10.0.0.${i}` });
      expect(res.status).toBe(401);
    }
    const blocked = await api.post('/api/v1/auth/login', { username, password }, { 'x-forwarded-for': '10.9.9.9' });
    expect(blocked.status).toBe(429);
    expect(Number(blocked.headers.get('retry-after'))).toBeGreaterThan(0);
    // The refusal is audited in the event store (published to the topic by the relay).
    const audit = await auth.context.mongo!.db.collection('event_commits').findOne({ 'events.type': 'auth.login.throttled.v1', 'events.data.login': username });
    expect(audit?.events[0]).toMatchObject({ data: { login: username }, actor: 'anonymous' });
  });
});

describe('sessions', () => {
  it('me answers with the user of a valid token, 401 without or with a forged one', async () => {
    const { tokens, username } = await signupAndLogin();
    const me = await api.get('/api/v1/auth/me', bearer(tokens.accessToken));
    expect(me.status).toBe(200);
    expect(me.body.user.username).toBe(username);
    expect((await api.get('/api/v1/auth/me')).status).toBe(401);
    const [h, p] = tokens.accessToken.split('.');
    expect((await api.get('/api/v1/auth/me', bearer(`${h}.${p}.`))).status).toBe(401);
  });

  it('refresh rotates the token; reusing a spent one revokes the whole session', async () => {
    const { tokens } = await signupAndLogin();
    const first = await api.post('/api/v1/auth/refresh', { refreshToken: tokens.refreshToken });
    expect(first.status).toBe(200);
    expect(first.body.refreshToken).not.toBe(tokens.refreshToken);
    expect(first.body.sessionId).toBe(tokens.sessionId);

    const replay = await api.post('/api/v1/auth/refresh', { refreshToken: tokens.refreshToken });
    expect(replay.status).toBe(401);
    expect(replay.body.detail).toMatch(/reused/);
    expect((await api.post('/api/v1/auth/refresh', { refreshToken: first.body.refreshToken })).status).toBe(401);
    expect((await api.get('/api/v1/auth/me', bearer(first.body.accessToken))).status).toBe(401);
  });

  it('logout ends this session only', async () => {
    const { username, tokens } = await signupAndLogin();
    const other = (await api.post('/api/v1/auth/login', { username, password })).body;
    expect((await api.post('/api/v1/auth/logout', undefined, bearer(tokens.accessToken))).status).toBe(204);
    expect((await api.get('/api/v1/auth/me', bearer(tokens.accessToken))).status).toBe(401);
    expect((await api.post('/api/v1/auth/refresh', { refreshToken: tokens.refreshToken })).status).toBe(401);
    expect((await api.get('/api/v1/auth/me', bearer(other.accessToken))).status).toBe(200);
  });

  it('logout everywhere ends every session', async () => {
    const { username, tokens } = await signupAndLogin();
    const other = (await api.post('/api/v1/auth/login', { username, password })).body;
    expect((await api.post('/api/v1/auth/logout-all', undefined, bearer(tokens.accessToken))).status).toBe(204);
    expect((await api.get('/api/v1/auth/me', bearer(tokens.accessToken))).status).toBe(401);
    expect((await api.get('/api/v1/auth/me', bearer(other.accessToken))).status).toBe(401);
  });

  it('a password change revokes the other sessions and opens a new one', async () => {
    const { username, tokens } = await signupAndLogin();
    const changed = await api.post('/api/v1/auth/password', { currentPassword: password, newPassword: 'a brand new passphrase' }, bearer(tokens.accessToken));
    expect(changed.status).toBe(200);
    expect((await api.get('/api/v1/auth/me', bearer(tokens.accessToken))).status).toBe(401);
    expect((await api.get('/api/v1/auth/me', bearer(changed.body.accessToken))).status).toBe(200);
    expect((await api.post('/api/v1/auth/login', { username, password })).status).toBe(401);
    expect((await api.post('/api/v1/auth/login', { username, password: 'a brand new passphrase' })).status).toBe(200);
  });

  it('publishes its signing keys', async () => {
    const { tokens } = await signupAndLogin();
    const jwks = await api.get('/.well-known/jwks.json');
    const kid = JSON.parse(Buffer.from(tokens.accessToken.split('.')[0], 'base64url').toString()).kid;
    expect(jwks.body.keys.map((k: { kid: string }) => k.kid)).toContain(kid);
    expect(JSON.stringify(jwks.body)).not.toContain('"d"');
  });
});

describe('auth.events', () => {
  it('tell what happened, and never carry a password, hash or token', async () => {
    const { tokens, user } = await signupAndLogin();
    const kafka = createKafka(testEndpoints().kafkaBrokers, unique('reader'), silentLogger);
    const consumer = kafka.consumer({ groupId: unique('reader'), maxWaitTimeInMs: 100 });
    const seen: KafkaMessage[] = [];
    await consumer.connect();
    await consumer.subscribe({ topic: auth.context.config.EVENTS_TOPIC, fromBeginning: true });
    await consumer.run({ eachMessage: async ({ message }) => void seen.push(message) });
    try {
      const keys = () => new Set(seen.map((m) => m.key?.toString()));
      await eventually(async () => keys().has(`session-${tokens.sessionId}`) && keys().has(user.id), 20_000, 'the user and session events');
    } finally {
      await consumer.disconnect();
    }
    const mine = seen.map((m) => JSON.parse(m.value!.toString())).filter((e) => e.subject === user.id || e.subject === `session-${tokens.sessionId}`);
    // Different aggregates sit on different partitions: no order between them, only within each.
    expect(mine.map((e) => e.type).sort()).toEqual(['auth.session.started.v1', 'auth.user.registered.v1']);
    const everything = seen.map((m) => m.value!.toString()).join('\n');
    expect(everything).not.toContain(password);
    expect(everything).not.toMatch(/\$2[aby]\$/);
    expect(everything).not.toContain(tokens.refreshToken);
    expect(everything).not.toContain(tokens.accessToken);
  });
});
