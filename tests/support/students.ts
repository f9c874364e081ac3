import { startService, type RunningService } from '@sms/shared/service';
import { readConfig, type Config } from '../../services/students/src/config';
import { studentsService } from '../../services/students/src/service';
import { serviceTestEnv } from './backbone';

/** The students service in this process on a free port, with a database and topic of its own. */
export async function startStudents(overrides: Record<string, string> & { AUTH_JWKS_URL: string }): Promise<RunningService<Config>> {
  return startService(studentsService(readConfig(serviceTestEnv('students', overrides))));
}

export interface Answer {
  status: number;
  body: any;
  headers: Headers;
}

/** A JSON client with every method, for the students routes. */
export function studentsClient(url: string) {
  return async (method: string, path: string, options: { token?: string; body?: unknown; headers?: Record<string, string> } = {}): Promise<Answer> => {
    const res = await fetch(`${url}${path}`, {
      method,
      headers: {
        ...(options.body !== undefined ? { 'content-type': 'application/json' } : {}),
        ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
        ...options.headers,
      },
      ...(options.body !== undefined ? { body: JSON.stringify(options.body) } : {}),
    });
    const text = await res.text();
    let body: unknown = text;
    try {
      body = text ? JSON.parse(text) : undefined;
    } catch {
      /* not JSON: keep the text */
    }
    return { status: res.status, body: body as any, headers: res.headers };
  };
}
