import { randomUUID } from 'node:crypto';
import type { Request, RequestHandler } from 'express';
import { bearerToken, createTokenVerifier } from '@sms/shared/auth';
import { ForbiddenError, MethodNotAllowedError, NotFoundError, UnauthorizedError } from '@sms/shared/errors';
import type { HealthCheck } from '@sms/shared/health';
import type { ServiceDefinition } from '@sms/shared/service';
import type { Config } from './config';
import { decide, type Target } from './policy';
import { proxyTo, STRIPPED_HEADERS } from './proxy';
import { Revocations } from './revocations';

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

/** The gateway: the only door for REST clients. Ready only when every service behind it is. */
export function gatewayService(config: Config): ServiceDefinition<Config> {
  const revocations = new Revocations(config.ACCESS_TOKEN_TTL_SECONDS * 1000);
  return {
    name: 'gateway',
    config,
    uses: { mongo: false, kafka: true },
    parseBodies: false,
    checks: () => [
      downstreamReady('auth', config.AUTH_URL),
      downstreamReady('students', config.STUDENTS_URL),
      downstreamReady('organizations', config.ORGANIZATIONS_URL),
      { name: 'revocations', check: async () => { if (!revocations.ready()) throw new Error('still reading auth.events'); } },
    ],
    async setup(app, ctx) {
      const { logger } = ctx;
      const verifier = createTokenVerifier({
        jwksUri: new URL('/.well-known/jwks.json', config.AUTH_URL).toString(),
        issuer: config.JWT_ISSUER,
        audience: config.JWT_AUDIENCE,
      });
      await revocations.start(ctx.kafka!.kafka, config.AUTH_EVENTS_TOPIC, randomUUID(), logger);
      const proxies: Record<Target, RequestHandler> = {
        auth: proxyTo('auth', config.AUTH_URL, config.PROXY_TIMEOUT_MS, logger),
        students: proxyTo('students', config.STUDENTS_URL, config.PROXY_TIMEOUT_MS, logger),
        organizations: proxyTo('organizations', config.ORGANIZATIONS_URL, config.PROXY_TIMEOUT_MS, logger),
      };

      const authorize = async (req: Request, access: 'member' | 'admin') => {
        const token = bearerToken(req.get('authorization'));
        if (!token) throw new UnauthorizedError('a bearer token is required');
        const claims = await verifier.verify(token);
        if (revocations.isRevoked(claims)) throw new UnauthorizedError('token revoked');
        if (access === 'admin' && claims.role !== 'admin') throw new ForbiddenError('admin role required');
      };

      app.use(async (req, res, next) => {
        for (const header of STRIPPED_HEADERS) delete req.headers[header];
        const decision = decide(req.method, req.path);
        if (decision.kind === 'not-found') throw new NotFoundError(`no route for ${req.method} ${req.path}`);
        if (decision.kind === 'method-not-allowed') {
          res.setHeader('Allow', decision.allowed.join(', '));
          throw new MethodNotAllowedError(`${req.method} is not allowed on ${req.path}`);
        }
        if (decision.rule.access !== 'public') await authorize(req, decision.rule.access);
        proxies[decision.rule.target](req, res, next);
      });
      return [{ name: 'revocations', stop: () => revocations.stop() }];
    },
  };
}
