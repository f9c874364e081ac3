import { RelayedProblem, ServiceUnavailableError } from '@sms/shared/errors';

export interface AuthUser {
  id: string;
  email: string;
  username: string;
}

export interface AuthClientOptions {
  baseUrl: string;
  internalToken: string;
  timeoutMs: number;
}

/**
 * auth's internal API, as the organizations service uses it. A 4xx answer of auth (a weak password,
 * an email already in use) is passed on to the caller as it was; anything else (auth down, slow or
 * failing) is a 503, after which the caller compensates.
 */
export class AuthClient {
  constructor(private readonly options: AuthClientOptions) {}

  /** Creates the first admin; retrying with the same `userId` is safe (auth answers 200 with the same user). */
  async createFirstAdmin(org: string, admin: { userId: string; username: string; email: string; password: string }, requestId?: string): Promise<AuthUser> {
    const body = await this.call('POST', `/internal/v1/organizations/${encodeURIComponent(org)}/first-admin`, admin, requestId);
    return (body as { user: AuthUser }).user;
  }

  async changeAdmin(org: string, userId: string, change: { email?: string; password?: string }, requestId?: string): Promise<AuthUser> {
    const path = `/internal/v1/organizations/${encodeURIComponent(org)}/users/${encodeURIComponent(userId)}`;
    return ((await this.call('PATCH', path, change, requestId)) as { user: AuthUser }).user;
  }

  /** Removes every user auth holds for the organization (idempotent): the compensation of a failed creation. */
  async purgeOrganization(org: string, requestId?: string): Promise<void> {
    await this.call('DELETE', `/internal/v1/organizations/${encodeURIComponent(org)}`, undefined, requestId);
  }

  private async call(method: string, path: string, body: unknown, requestId?: string): Promise<unknown> {
    let res: Response;
    try {
      res = await fetch(new URL(path, this.options.baseUrl), {
        method,
        headers: {
          'x-internal-token': this.options.internalToken,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
          ...(requestId ? { 'x-request-id': requestId } : {}),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        signal: AbortSignal.timeout(this.options.timeoutMs),
      });
    } catch (err) {
      throw new ServiceUnavailableError(`the auth service did not answer (${(err as Error).name}); try again`);
    }
    const parsed = (await res.json().catch(() => ({}))) as Record<string, unknown>;
    if (res.ok) return parsed;
    if (res.status >= 400 && res.status < 500 && res.status !== 401) {
      const { type: _type, title, status: _status, detail, code, instance: _instance, ...extensions } = parsed;
      throw new RelayedProblem(res.status, String(code ?? 'rejected'), String(title ?? 'Rejected'), String(detail ?? 'rejected by auth'), extensions);
    }
    throw new ServiceUnavailableError(`the auth service failed (HTTP ${res.status}); try again`);
  }
}
