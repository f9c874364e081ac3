import type { ServiceDefinition } from '@sms/shared/service';
import type { Config } from './config';

/** The organizations service: owns its MongoDB database and the `organizations.events` topic. */
export function organizationsService(config: Config): ServiceDefinition<Config> {
  return { name: 'organizations', config, uses: { mongo: true, kafka: true } };
}
