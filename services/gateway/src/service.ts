import type { HealthCheck } from '@sms/shared/health';
import type { ServiceDefinition } from '@sms/shared/service';
import type { Config } from './config';

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
  return {
    name: 'gateway',
    config,
    uses: { mongo: false, kafka: false },
    checks: () => [
      downstreamReady('auth', config.AUTH_URL),
      downstreamReady('students', config.STUDENTS_URL),
      downstreamReady('organizations', config.ORGANIZATIONS_URL),
    ],
  };
}
