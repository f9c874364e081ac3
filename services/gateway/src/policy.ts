/**
 * The gateway's route policy, in one table: the routes the services answer under /api/v1 (and the
 * JWKS), which service owns each, and who may call it. `public`: anyone; `member`: any valid token;
 * `admin`: a valid token with role admin. A path no rule matches (and every /internal path) is a 404;
 * a path that rules match with other methods is a 405 whose `Allow` lists theirs, which are the
 * route's: each rule is one route of a service, with its methods (HEAD wherever GET).
 */
import { allowHeader } from '@sms/shared/http';

export type Access = 'public' | 'member' | 'admin';
export type Target = 'auth' | 'students' | 'organizations';

export interface RouteRule {
  methods: readonly string[];
  /** The route's path as the service declares it: `:name` stands for one path segment. */
  path: string;
  access: Access;
  target: Target;
  /** Credential and creation routes: also under the stricter per-client limit (RATE_LIMIT_AUTH_PER_MINUTE). */
  strict?: true;
}

export const ROUTES: readonly RouteRule[] = [
  { methods: ['GET'], path: '/.well-known/jwks.json', access: 'public', target: 'auth' },
  { methods: ['POST'], path: '/api/v1/auth/signup', access: 'public', target: 'auth', strict: true },
  // Open for the first admin only; the auth service checks the caller's token for later ones.
  { methods: ['POST'], path: '/api/v1/auth/admin-signup', access: 'public', target: 'auth', strict: true },
  { methods: ['POST'], path: '/api/v1/auth/login', access: 'public', target: 'auth', strict: true },
  // Organization admins by email alone (admin emails are unique across organizations).
  { methods: ['POST'], path: '/api/v1/auth/admin-login', access: 'public', target: 'auth', strict: true },
  { methods: ['POST'], path: '/api/v1/auth/refresh', access: 'public', target: 'auth', strict: true },
  { methods: ['POST'], path: '/api/v1/auth/logout', access: 'member', target: 'auth' },
  { methods: ['POST'], path: '/api/v1/auth/logout-all', access: 'member', target: 'auth' },
  { methods: ['POST'], path: '/api/v1/auth/password', access: 'member', target: 'auth' },
  { methods: ['GET'], path: '/api/v1/auth/me', access: 'member', target: 'auth' },
  { methods: ['GET', 'POST'], path: '/api/v1/users', access: 'admin', target: 'auth' },
  { methods: ['GET', 'PATCH', 'DELETE'], path: '/api/v1/users/:id', access: 'admin', target: 'auth' },
  { methods: ['PUT'], path: '/api/v1/users/:id/password', access: 'admin', target: 'auth' },
  // CSV imports and their jobs: admins only (the first rule of a method wins, so before `/students/:id`).
  { methods: ['GET'], path: '/api/v1/students/imports', access: 'admin', target: 'students' },
  { methods: ['POST'], path: '/api/v1/students/imports', access: 'admin', target: 'students' },
  { methods: ['GET'], path: '/api/v1/students/imports/:id', access: 'admin', target: 'students' },
  { methods: ['GET'], path: '/api/v1/students', access: 'member', target: 'students' },
  { methods: ['POST'], path: '/api/v1/students', access: 'admin', target: 'students' },
  { methods: ['GET'], path: '/api/v1/students/:id', access: 'member', target: 'students' },
  { methods: ['PUT', 'PATCH', 'DELETE'], path: '/api/v1/students/:id', access: 'admin', target: 'students' },
  { methods: ['GET'], path: '/api/v1/students/:id/history', access: 'admin', target: 'students' },
  { methods: ['POST'], path: '/api/v1/organizations', access: 'public', target: 'organizations', strict: true },
  { methods: ['GET'], path: '/api/v1/organizations', access: 'public', target: 'organizations' },
  { methods: ['GET'], path: '/api/v1/organizations/:id', access: 'public', target: 'organizations' },
  { methods: ['PATCH', 'DELETE'], path: '/api/v1/organizations/:id', access: 'admin', target: 'organizations' },
];

const patterns = new WeakMap<RouteRule, RegExp>();

/** The rule's path as express matches it: whole segments, case-sensitive here, one trailing slash allowed. */
function patternOf(rule: RouteRule): RegExp {
  let pattern = patterns.get(rule);
  if (!pattern) {
    const segments = rule.path.split('/').map((s) => (s.startsWith(':') ? '[^/]+' : s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')));
    pattern = new RegExp(`^${segments.join('/')}/?$`);
    patterns.set(rule, pattern);
  }
  return pattern;
}

const handles = (rule: RouteRule, method: string) => rule.methods.includes(method) || (method === 'HEAD' && rule.methods.includes('GET'));

export type Decision = { kind: 'route'; rule: RouteRule } | { kind: 'not-found' } | { kind: 'method-not-allowed'; allow: string };

/** Literal segments of a rule's path: `/students/imports` is more specific than `/students/:id`. */
const literals = (rule: RouteRule) => rule.path.split('/').filter((s) => s && !s.startsWith(':')).length;

export function decide(method: string, path: string, routes: readonly RouteRule[] = ROUTES): Decision {
  if (path.startsWith('/internal')) return { kind: 'not-found' };
  const matching = routes.filter((r) => patternOf(r).test(path));
  if (matching.length === 0) return { kind: 'not-found' };
  // A path that names a literal route is that route's alone: `PUT /students/imports` is a 405 with the
  // imports' methods, not `PUT /students/:id` with "imports" for an id.
  const most = Math.max(...matching.map(literals));
  const onPath = matching.filter((r) => literals(r) === most);
  const rule = onPath.find((r) => handles(r, method));
  return rule ? { kind: 'route', rule } : { kind: 'method-not-allowed', allow: allowHeader(onPath.flatMap((r) => r.methods)) };
}
