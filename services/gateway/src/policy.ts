/**
 * The gateway's route policy, in one table: which service owns a path, and who may call it.
 * `public`: anyone; `member`: any valid token; `admin`: a valid token with role admin.
 * Paths not in the table (and every /internal path) are a 404 at the gateway.
 */
export type Access = 'public' | 'member' | 'admin';
export type Target = 'auth' | 'students' | 'organizations';

export interface RouteRule {
  methods: readonly string[];
  /** A path prefix or an exact path (`$` suffix). */
  path: string;
  access: Access;
  target: Target;
  /** Credential and creation routes: also under the stricter per-client limit (RATE_LIMIT_AUTH_PER_MINUTE). */
  strict?: true;
}

const READ = ['GET', 'HEAD'] as const;
const WRITE = ['POST', 'PUT', 'PATCH', 'DELETE'] as const;

export const ROUTES: readonly RouteRule[] = [
  { methods: ['GET'], path: '/.well-known/jwks.json$', access: 'public', target: 'auth' },
  { methods: ['POST'], path: '/api/v1/auth/signup$', access: 'public', target: 'auth', strict: true },
  // Open for the first admin only; the auth service checks the caller's token for later ones.
  { methods: ['POST'], path: '/api/v1/auth/admin-signup$', access: 'public', target: 'auth', strict: true },
  { methods: ['POST'], path: '/api/v1/auth/login$', access: 'public', target: 'auth', strict: true },
  // Organization admins by email alone (admin emails are unique across organizations).
  { methods: ['POST'], path: '/api/v1/auth/admin-login$', access: 'public', target: 'auth', strict: true },
  { methods: ['POST'], path: '/api/v1/auth/refresh$', access: 'public', target: 'auth', strict: true },
  { methods: ['POST'], path: '/api/v1/auth/logout$', access: 'member', target: 'auth' },
  { methods: ['POST'], path: '/api/v1/auth/logout-all$', access: 'member', target: 'auth' },
  { methods: ['POST'], path: '/api/v1/auth/password$', access: 'member', target: 'auth' },
  { methods: ['GET'], path: '/api/v1/auth/me$', access: 'member', target: 'auth' },
  { methods: [...READ, ...WRITE], path: '/api/v1/users', access: 'admin', target: 'auth' },
  // CSV imports and their jobs: admins only (the first matching rule wins, so before the generic ones).
  { methods: ['GET', 'HEAD', 'POST'], path: '/api/v1/students/imports', access: 'admin', target: 'students' },
  { methods: READ, path: '/api/v1/students', access: 'member', target: 'students' },
  { methods: WRITE, path: '/api/v1/students', access: 'admin', target: 'students' },
  { methods: ['POST'], path: '/api/v1/organizations$', access: 'public', target: 'organizations', strict: true },
  { methods: READ, path: '/api/v1/organizations', access: 'public', target: 'organizations' },
  { methods: ['PATCH', 'DELETE'], path: '/api/v1/organizations/', access: 'admin', target: 'organizations' },
];

function matches(rule: RouteRule, path: string): boolean {
  if (rule.path.endsWith('$')) return path === rule.path.slice(0, -1);
  return path === rule.path || path.startsWith(rule.path.endsWith('/') ? rule.path : `${rule.path}/`);
}

/** The rule's path as a route name for traces: `/api/v1/auth/login`, `/api/v1/students/*`. */
export function routeName(rule: RouteRule): string {
  return rule.path.endsWith('$') ? rule.path.slice(0, -1) : `${rule.path.replace(/\/$/, '')}/*`;
}

export type Decision = { kind: 'route'; rule: RouteRule } | { kind: 'not-found' } | { kind: 'method-not-allowed'; allowed: string[] };

export function decide(method: string, path: string, routes: readonly RouteRule[] = ROUTES): Decision {
  if (path.startsWith('/internal')) return { kind: 'not-found' };
  const onPath = routes.filter((r) => matches(r, path));
  if (onPath.length === 0) return { kind: 'not-found' };
  const rule = onPath.find((r) => r.methods.includes(method));
  return rule ? { kind: 'route', rule } : { kind: 'method-not-allowed', allowed: [...new Set(onPath.flatMap((r) => r.methods))] };
}
