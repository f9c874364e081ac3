import type { ServiceDefinition } from '@sms/shared/service';
import type { Config } from './config';

/** The students service: owns its MongoDB database and the `students.events` topic. */
export function studentsService(config: Config): ServiceDefinition<Config> {
  return { name: 'students', config, uses: { mongo: true, kafka: true } };
}
