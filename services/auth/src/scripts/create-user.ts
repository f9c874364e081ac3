/**
 * Creates a user (an admin by default) of an organization through the auth service's own command
 * path (seed 004: the first user). Safe to run twice: an existing username is reported and left alone.
 *
 *   npm run create-user -- --username admin --email admin@example.com [--organization default] [--role admin|user]
 *
 * The password comes from CREATE_USER_PASSWORD, or from a prompt with echo off on a terminal. It is
 * never printed. The events go to the auth outbox (`event_commits`); the running auth service's relay
 * publishes them to `auth.events`.
 *
 * Exit codes: 0 created or already there; 2 bad input (arguments, password, environment); 1 anything else.
 */
import { randomUUID } from 'node:crypto';
import { createInterface } from 'node:readline/promises';
import { Writable } from 'node:stream';
import { parseArgs } from 'node:util';
import type { z } from 'zod';
import { ConfigError } from '@sms/shared/config';
import { ConcurrencyError, ConflictError, ValidationError } from '@sms/shared/errors';
import { createKafka, ensureTopics } from '@sms/shared/kafka';
import { createLogger } from '@sms/shared/logging';
import { connectMongo, type MongoClient } from '@sms/shared/mongo';
import type { Accounts } from '../application/accounts';
import { readConfig } from '../config';
import { Role } from '../domain/user.events';
import { Email, Organization, Username } from '../http/schemas';
import { checkPassword } from '../passwords/policy';
import { composeAccounts } from '../service';

const USAGE = `usage: npm run create-user -- --username <name> --email <address> [--organization <id>] [--role admin|user]

Creates a user of an organization (an admin by default) through the auth service's command path.
The password is read from CREATE_USER_PASSWORD, or asked for (without echo) on a terminal.
Running it again for an existing username changes nothing and exits 0.
MONGO_URL, MONGO_DB, KAFKA_BROKERS, BCRYPT_COST and AUTH_SIGNING_KEYS are read as the auth service reads them.`;

const ACTOR = 'system:create-user';

/** Bad input: printed as is, exit code 2. */
class InputError extends Error {}

const out = (line: string) => process.stdout.write(`${line}\n`);
const err = (line: string) => process.stderr.write(`${line}\n`);

function parse<T>(schema: z.ZodType<T>, value: unknown, name: string): T {
  const result = schema.safeParse(value);
  if (!result.success) throw new InputError(`--${name}: ${result.error.issues.map((i) => i.message).join('; ')}`);
  return result.data;
}

interface Input {
  username: string;
  email: string;
  organization?: string;
  role: Role;
}

function readArgs(argv: string[]): Input | 'help' {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        username: { type: 'string' },
        email: { type: 'string' },
        organization: { type: 'string' },
        role: { type: 'string', default: 'admin' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (e) {
    throw new InputError((e as Error).message);
  }
  if (values.help) return 'help';
  if (values.username === undefined) throw new InputError('--username is required');
  if (values.email === undefined) throw new InputError('--email is required');
  return {
    username: parse(Username, values.username, 'username'),
    email: parse(Email, values.email, 'email'),
    ...(values.organization !== undefined ? { organization: parse(Organization, values.organization, 'organization') } : {}),
    role: parse(Role, values.role, 'role'),
  };
}

/** Reads one line from the terminal without echoing it. */
async function promptHidden(question: string): Promise<string> {
  let muted = false;
  const output = new Writable({
    write(chunk, encoding, callback) {
      if (!muted) process.stderr.write(chunk, encoding);
      callback();
    },
  });
  const rl = createInterface({ input: process.stdin, output, terminal: true });
  const cancelled = new Promise<never>((_resolve, reject) => rl.once('SIGINT', () => reject(new Error('cancelled at the prompt; nothing was changed'))));
  try {
    process.stderr.write(question);
    muted = true;
    return await Promise.race([rl.question(''), cancelled]);
  } finally {
    muted = false;
    process.stderr.write('\n');
    rl.close();
  }
}

async function readPassword(): Promise<string> {
  const fromEnv = process.env.CREATE_USER_PASSWORD;
  if (fromEnv !== undefined) {
    delete process.env.CREATE_USER_PASSWORD;
    return fromEnv;
  }
  if (!process.stdin.isTTY) {
    throw new InputError('no password: set CREATE_USER_PASSWORD, or run this on a terminal to be asked for it');
  }
  const password = await promptHidden('Password: ');
  const again = await promptHidden('Repeat the password: ');
  if (password !== again) throw new InputError('the two passwords differ; nothing was changed');
  return password;
}

async function main(argv: string[]): Promise<number> {
  const input = readArgs(argv);
  if (input === 'help') {
    out(USAGE);
    return 0;
  }
  const config = readConfig();
  const org = input.organization ?? config.DEFAULT_ORGANIZATION;
  const logger = createLogger('auth-create-user', 'error');

  let mongo: MongoClient | undefined;
  try {
    mongo = await connectMongo(config.MONGO_URL, 'auth-create-user');
    const db = mongo.db(config.MONGO_DB);
    const { store, accounts } = composeAccounts(db, config);
    const topic = config.EVENTS_TOPIC;

    const existing = await accounts.claims.holder(org, 'username', input.username);
    if (existing) {
      out(await describeExisting(accounts, existing, org, input.username));
      return 0;
    }

    const password = await readPassword();
    checkPassword(password, { username: input.username, email: input.email });

    // The topic the relay publishes to exists before anything is written.
    const kafka = createKafka(config.KAFKA_BROKERS, 'auth-create-user', logger);
    const admin = kafka.admin();
    await admin.connect();
    try {
      await ensureTopics(admin, [topic]);
    } finally {
      await admin.disconnect();
    }

    await store.setup();
    await accounts.setup();
    // An admin made here also takes the organization's first-admin claim (when still free), which
    // closes the open first-admin signup exactly as if that admin had signed up there.
    const userId = randomUUID();
    const firstAdmin = input.role === 'admin' && (await accounts.claimFirstAdmin(org, userId));
    let user;
    try {
      user = await accounts.register({ org, username: input.username, email: input.email, password, role: input.role, userId }, { tenant: org, actor: ACTOR });
    } catch (e) {
      if (firstAdmin) await accounts.releaseFirstAdmin(org, userId).catch(() => undefined);
      // Someone registered the same username meanwhile: the same answer as above.
      if (e instanceof ConflictError && e.code === 'username_taken') {
        const holder = await accounts.claims.holder(org, 'username', input.username);
        if (holder) {
          out(await describeExisting(accounts, holder, org, input.username));
          return 0;
        }
      }
      throw e;
    }
    out(`created ${user.role} '${user.username}' <${user.email}> in organization '${org}' (user id ${user.id})`);
    out(`its events are in the auth outbox (database '${config.MONGO_DB}'); the running auth service's relay publishes them to ${topic}`);
    return 0;
  } finally {
    await mongo?.close();
  }
}

async function describeExisting(accounts: Accounts, userId: string, org: string, username: string): Promise<string> {
  const user = await accounts.user(userId, org).catch(() => undefined);
  const what = user ? `${user.role} '${user.username}' (user id ${user.id}${user.active ? '' : ', deactivated'})` : `username '${username}' (user id ${userId})`;
  return `user exists: ${what} in organization '${org}'; nothing was changed (the password was not touched)`;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e: unknown) => {
    if (e instanceof InputError) {
      err(`create-user: ${e.message}`);
      err(USAGE.split('\n')[0]!);
      process.exit(2);
    }
    if (e instanceof ValidationError || (e instanceof ConflictError && !(e instanceof ConcurrencyError)) || e instanceof ConfigError) {
      // Password policy, an email held by another user, or a bad environment variable.
      err(`create-user: ${e.message}`);
      process.exit(2);
    }
    err(`create-user failed: ${e instanceof Error ? e.message : String(e)}`);
    process.exit(1);
  },
);
