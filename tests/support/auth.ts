import { randomUUID } from 'node:crypto';
import { startService, type RunningService } from '@sms/shared/service';
import { readConfig, type Config } from '../../services/auth/src/config';
import { authService } from '../../services/auth/src/service';
import { serviceTestEnv } from './backbone';

/** The auth service in this process on a free port, with a database and throttle keys of its own. */
export async function startAuth(overrides: Record<string, string> = {}): Promise<RunningService<Config>> {
  return startService(authService(readConfig(serviceTestEnv('auth', { BCRYPT_COST: '4', THROTTLE_KEY_PREFIX: `test:${randomUUID()}`, ...overrides }))));
}

/** An HTTP answer as the tests look at it: status, body (parsed JSON, else the text; undefined when empty), headers. */
export interface Answer {
  status: number;
  body: any;
  headers: Headers;
}

export async function answerOf(res: Response): Promise<Answer> {
  const text = await res.text();
  let body: unknown = text;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    /* not JSON: keep the text */
  }
  return { status: res.status, body: body as any, headers: res.headers };
}

export interface Client {
  url: string;
  post(path: string, body?: unknown, headers?: Record<string, string>): Promise<Answer>;
  get(path: string, headers?: Record<string, string>): Promise<Answer>;
  /** Any method (PATCH, PUT, DELETE, ...). */
  send(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<Answer>;
}

/** A small JSON client for the tests: status, parsed body, headers. */
export function client(url: string): Client {
  const call = async (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) => {
    // A string or bytes go as they are (with the caller's content type); anything else as JSON.
    const raw = typeof body === 'string' || body instanceof Uint8Array;
    const res = await fetch(`${url}${path}`, {
      method,
      headers: { ...(body !== undefined && !raw ? { 'content-type': 'application/json' } : {}), ...headers },
      ...(body !== undefined ? { body: raw ? (body as string | Uint8Array) : JSON.stringify(body) } : {}),
    });
    return answerOf(res);
  };
  return { url, post: (p, b, h) => call('POST', p, b, h), get: (p, h) => call('GET', p, undefined, h), send: call };
}

export const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
