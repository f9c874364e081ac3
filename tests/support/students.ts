import { startService, type RunningService } from '@sms/shared/service';
import { readConfig, type Config } from '../../services/students/src/config';
import { studentsService } from '../../services/students/src/service';
import { answerOf, client, type Answer } from './auth';
import { serviceTestEnv } from './backbone';

export type { Answer };

/** The students service in this process on a free port, with a database and topic of its own. */
export async function startStudents(overrides: Record<string, string> & { AUTH_JWKS_URL: string }): Promise<RunningService<Config>> {
  return startService(studentsService(readConfig(serviceTestEnv('students', overrides))));
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
    return answerOf(res);
  };
}

export interface StudentsUsers {
  /** `principal`, admin of the organization `admin-signup` creates. */
  admin: string;
  /** `teacher`, a member of that organization. */
  member: string;
  /** `rival`, first admin of `otherOrg`. */
  otherAdmin: string;
}

/** Signs up the users the students tests act as, on a fresh auth service, and logs them in: their access tokens. */
export async function signUpStudentsUsers(authUrl: string, otherOrg: string): Promise<StudentsUsers> {
  const password = 'correct horse battery staple';
  const api = client(authUrl);
  const created = async (path: string, body: unknown, headers?: Record<string, string>) => {
    const res = await api.post(path, body, headers);
    if (res.status !== 201) throw new Error(`POST ${path} answered ${res.status}: ${JSON.stringify(res.body)}`);
  };
  const login = async (username: string, organization?: string) =>
    (await api.post('/api/v1/auth/login', { username, password, ...(organization ? { organization } : {}) })).body.accessToken as string;
  await created('/api/v1/auth/admin-signup', { username: 'principal', email: 'principal@example.com', password });
  await created('/api/v1/auth/signup', { username: 'teacher', email: 'teacher@example.com', password });
  const internal = { 'x-internal-token': 'dev-only-internal-token-change-me' };
  await created(`/internal/v1/organizations/${otherOrg}/first-admin`, { username: 'rival', email: 'rival@example.com', password }, internal);
  const [admin, member, otherAdmin] = await Promise.all([login('principal'), login('teacher'), login('rival', otherOrg)]);
  return { admin, member, otherAdmin };
}
