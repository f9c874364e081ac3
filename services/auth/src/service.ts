import type { ServiceDefinition } from '@sms/shared/service';
import type { Config } from './config';

/** The auth service: owns its MongoDB database and the `auth.events` topic. */
export function authService(config: Config): ServiceDefinition<Config> {
  return { name: 'auth', config, uses: { mongo: true, kafka: true } };
}
