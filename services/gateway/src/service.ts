import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { Router, type Request, type RequestHandler, type Response } from 'express';
import { Redis } from 'ioredis';
import { bearerToken, createTokenVerifier, type AccessClaims } from '@sms/shared/auth';
import { MethodNotAllowedError, NotFoundError } from '@sms/shared/errors';
import type { HealthCheck } from '@sms/shared/health';
import { ensureTopics } from '@sms/shared/kafka';
import type { ServiceDefinition } from '@sms/shared/service';
import { setRequestRoute, traceHeaders } from '@sms/shared/telemetry';
import { breakerSettings, createBreakers } from './breaker';
import { trustProxySetting, type Config } from './config';
import { cors, hstsOnlyOverTls, type EdgeLocals } from './edge';
import { decide, type Target } from './policy';
import { proxyTo, STRIPPED_HEADERS } from './proxy';
import { createRateLimits } from './rate-limits';
import { createAuthorize } from './authorize';
import { cachingVerifier } from './token-cache';
import { Revocations } from './revocations';
import { clickbitRoutes } from './seeds/clickbit';
import { flowdataRoutes } from './seeds/flowdata';
import { docsRoutes } from './docs/routes';
import { flowdataDocs } from './docs/seed-operations';
import { multitenantDocs } from './docs/multitenant-operations';
import { jwtSeedRoutes } from './seeds/jwt-seed';
import { multitenantRoutes } from './seeds/multitenant';

/** A downstream service is ready when its own /health/ready answers 200 within the check timeout. */
export function downstreamReady(name: string, baseUrl: string): HealthCheck {
  return {
    name,
    check: async () => {
      const res = await fetch(new URL('/health/ready', baseUrl), { signal: AbortSignal.timeout(1_500) });
      if (res.status !== 200) throw new Error(`${name} is not ready (HTTP ${res.status})`);
    },
  };
}

/** Paths that go straight to the policy table and are proxied; everything else meets the docs and seed routes first. */
const isApiPath = (path: string): boolean => path.startsWith('/api/v1/');

/** The gateway: the only door for REST clients. Ready only when every service behind it is. */
export function gatewayService(config: Config): ServiceDefinition<Config> {
  const revocations = new Revocations(config.ACCESS_TOKEN_TTL_SECONDS * 1000);
  return {
    name: 'gateway',
    config,
    uses: { mongo: false, kafka: true },
    parseBodies: false,
    // CSV imports stream through to students, which checks them; only their declared size is bounded here.
    bodyLimits: { '/api/v1/students/imports': config.IMPORT_BODY_LIMIT },
    // Only /api/v1 bodies stream through unread; the seed routes parse theirs (BODY_LIMIT, declared or
    // chunked alike) and answer an oversized one in their seed's error shape.
    declaredLengthPaths: isApiPath,
    checks: () => [
      downstreamReady('auth', config.AUTH_URL),
      downstreamReady('students', config.STUDENTS_URL),
      downstreamReady('organizations', config.ORGANIZATIONS_URL),
      { name: 'revocations', check: async () => { if (!revocations.ready()) throw new Error('still reading auth.events'); } },
    ],
    async setup(app, ctx) {
      const { logger } = ctx;
      app.set('trust proxy', trustProxySetting(config.TRUST_PROXY));
      hstsOnlyOverTls(app);
      // A token seen again skips the signature check (token-cache.ts); revocation and the limits never do.
      const verifier = cachingVerifier(createTokenVerifier({
        jwksUri: new URL('/.well-known/jwks.json', config.AUTH_URL).toString(),
        issuer: config.JWT_ISSUER,
        audience: config.JWT_AUDIENCE,
      }));
      await ensureTopics(ctx.kafka!.admin, [config.AUTH_EVENTS_TOPIC, config.ORGANIZATIONS_EVENTS_TOPIC]);
      await revocations.start(ctx.kafka!.kafka, [config.AUTH_EVENTS_TOPIC, config.ORGANIZATIONS_EVENTS_TOPIC], randomUUID(), logger);
      // Auto-pipelining: the counts of the requests in one turn of the event loop (a request's per-client
      // and per-user counts among them) go to Redis in one write; each command keeps its own timeout.
      const redis = new Redis(config.REDIS_URL, { enableOfflineQueue: false, maxRetriesPerRequest: 1, commandTimeout: 500, enableAutoPipelining: true });
      redis.on('error', (err) => logger.warn({ err: err.message }, 'redis unavailable'));
      // Until the client is ready, every count goes to the in-memory insurance limiter; wait (briefly)
      // so the first requests are counted where the next ones will be. Redis down is no start-up failure.
      if (redis.status !== 'ready') {
        await once(redis, 'ready', { signal: AbortSignal.timeout(2_000) }).catch(() =>
          logger.warn({ redisStatus: redis.status }, 'Redis not ready at start-up: rate limits count in memory until it is'));
      }
      const limits = createRateLimits(redis, {
        keyPrefix: config.RATE_LIMIT_PREFIX,
        perClientPerMinute: config.RATE_LIMIT_PER_MINUTE,
        perUserPerMinute: config.RATE_LIMIT_USER_PER_MINUTE,
        strictPerClientPerMinute: config.RATE_LIMIT_AUTH_PER_MINUTE,
        logger,
      });
      // One circuit breaker per service (breaker.ts), for the proxies and for any other call to that service.
      const breakers = createBreakers<Target>(['auth', 'students', 'organizations'], breakerSettings(config), { logger, registry: ctx.metrics.registry });
      const proxies: Record<Target, RequestHandler> = {
        auth: proxyTo('auth', config.AUTH_URL, config.PROXY_TIMEOUT_MS, logger, breakers.auth),
        students: proxyTo('students', config.STUDENTS_URL, config.PROXY_TIMEOUT_MS, logger, breakers.students),
        organizations: proxyTo('organizations', config.ORGANIZATIONS_URL, config.PROXY_TIMEOUT_MS, logger, breakers.organizations),
      };

      /** Verified, not revoked, within the per-user limit and of the role asked for; the same check for v1 and the seeds' routes. */
      const check = createAuthorize({ verifier, revocations, limits });
      const authorize = (req: Request, access: 'member' | 'admin', sent?: string): Promise<AccessClaims> =>
        // `sent`: a token the client presented otherwise (ClickBit's session cookie); else the bearer token.
        check(sent ?? bearerToken(req.get('authorization')), access);

      // Who the client is and whether it came over TLS, as `trust proxy` allows, read before the
      // forwarding headers a client may have sent are removed.
      app.use((req, res: Response<unknown, EdgeLocals>, next) => {
        res.locals.clientAddress = req.ip ?? req.socket.remoteAddress ?? 'unknown';
        res.locals.secure = req.secure;
        for (const header of STRIPPED_HEADERS) delete req.headers[header];
        next();
      });
      app.use(cors({ origins: config.CORS_ORIGINS, credentials: config.CORS_CREDENTIALS, maxAgeSeconds: config.CORS_MAX_AGE_SECONDS }));
      // Everything outside /api/v1 that the gateway answers itself or translates: the docs
      // (docs/routes.ts: /openapi.json, Swagger UI at /docs/, AsyncAPI at /docs/asyncapi) and the seeds'
      // routes (seeds/*.ts), under the same limits and token checks as /api/v1 and through the same
      // circuit breakers. /api/v1 requests skip them and go straight to the policy table.
      const seedDeps = {
        timeoutMs: config.PROXY_TIMEOUT_MS,
        bodyLimit: config.BODY_LIMIT,
        authorize,
        limits,
        logger,
        // The seed routes' calls to the services join the request's trace (fetch is not instrumented).
        fetch: (service: Target, url: URL, init: RequestInit) => {
          const headers = new Headers(init.headers);
          for (const [header, value] of Object.entries(traceHeaders())) headers.set(header, value);
          return breakers[service].fetch(url, { ...init, headers });
        },
      };
      const outsideApi = Router();
      outsideApi.use(docsRoutes({
        services: [{ name: 'auth', url: config.AUTH_URL }, { name: 'students', url: config.STUDENTS_URL }, { name: 'organizations', url: config.ORGANIZATIONS_URL }],
        seeds: [flowdataDocs, multitenantDocs],
        limits,
      }));
      outsideApi.use(flowdataRoutes({ ...seedDeps, authUrl: config.AUTH_URL, studentsUrl: config.STUDENTS_URL }));
      outsideApi.use(clickbitRoutes({
        ...seedDeps,
        services: { auth: config.AUTH_URL, students: config.STUDENTS_URL, organizations: config.ORGANIZATIONS_URL },
        csrfSecret: config.CSRF_SECRET,
        environment: config.NODE_ENV,
      }));
      outsideApi.use(jwtSeedRoutes({ ...seedDeps, authUrl: config.AUTH_URL }));
      outsideApi.use(multitenantRoutes({ ...seedDeps, services: { auth: config.AUTH_URL, organizations: config.ORGANIZATIONS_URL } }));
      app.use((req, res, next) => (isApiPath(req.path) ? next() : outsideApi(req, res, next)));
      app.use(async (req, res: Response<unknown, EdgeLocals>, next) => {
        const client = res.locals.clientAddress ?? 'unknown';
        const clientAllowed = limits.client(client);
        const decision = decide(req.method, req.path);
        if (decision.kind !== 'route') {
          await clientAllowed;
          if (decision.kind === 'not-found') throw new NotFoundError(`no route for ${req.method} ${req.path}`);
          res.setHeader('Allow', decision.allow);
          // As the services (and express) answer it: the path's methods, not a request to pass on.
          if (req.method === 'OPTIONS') {
            res.type('text/plain').send(decision.allow);
            return;
          }
          throw new MethodNotAllowedError(`${req.method} is not allowed on ${req.path}`);
        }
        const { rule } = decision;
        // The route's name for traces and metrics: `/api/v1/students/:id`.
        res.locals.route = rule.path;
        setRequestRoute(res.locals.route);
        // The per-client count and the route's own checks run side by side (one Redis round trip of
        // wait, not two in a row); both must pass, and the per-client 429 wins over any other refusal.
        const [allowed, checked] = await Promise.allSettled([clientAllowed, (async () => {
          if (rule.strict) await limits.strict(client);
          if (rule.access !== 'public') await authorize(req, rule.access);
        })()]);
        if (allowed.status === 'rejected') throw allowed.reason;
        if (checked.status === 'rejected') throw checked.reason;
        proxies[rule.target](req, res, next);
      });
      return [
        { name: 'revocations', stop: () => revocations.stop() },
        { name: 'redis', stop: async () => void redis.disconnect() },
      ];
    },
  };
}
