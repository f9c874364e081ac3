/**
 * The public contract of `students.events` for downstream consumers: an AsyncAPI 3.0 document and a
 * JSON Schema per event type, generated from the zod schemas in domain/student.events.ts, served
 * without a token at /contracts/students/* (the gateway passes it on at /docs/asyncapi/students.json)
 * and committed in services/students/contracts/ (`npm run contracts:generate`).
 */
import { contractRoutes, type TopicContract } from '@sms/shared/openapi';
import { studentEvents } from '../domain/student.events';

export const CONTRACT_PATH = '/contracts/students';
/** The topic named by the committed contract (a deployment may configure another, `EVENTS_TOPIC`). */
export const DEFAULT_EVENTS_TOPIC = 'students.events';

const descriptions: Record<string, string> = {
  'students.student.created.v1': 'A student was added to an organization. Subject = `<org>:<id>`, tenant = the organization, version 1.',
  'students.student.updated.v1':
    'Some fields of a student changed: `changed` holds only those fields (`null` clears `email` / `date_of_birth`), `previous` their old values.',
  'students.student.deleted.v1': 'A student was deleted. It is the last event of its stream.',
};

export const studentsContract = (topic: string = DEFAULT_EVENTS_TOPIC): TopicContract => ({
  title: 'Students events',
  version: '1.0.0',
  description: [
    'Everything that happens to student records, per organization (`tenant`).',
    'Delivery is at least once, in order per student: consumers deduplicate by `id` or fold by `(subject, version)`.',
    'Types are versioned (`.vN`): a type never changes incompatibly; a breaking change is a new `.vN+1` type.',
    'Skip event types you do not know (forward compatibility).',
  ].join(' '),
  topic,
  contractPath: CONTRACT_PATH,
  events: studentEvents,
  descriptions,
  key: 'The aggregate id (the envelope `subject`, `<org>:<studentId>`): one student\'s events share a partition, in order.',
  // The ids and titles this contract was first published with.
  channel: { id: 'studentsEvents', title: 'students events' },
  operation: { id: 'publishStudentEvents', title: 'The students service publishes what happened to a student' },
  untraced: 'absent for untraced writes such as imports',
});

/**
 * `GET /contracts/students/asyncapi.json`, `/contracts/students/schemas[/<type>.json]` (public: mounted
 * before the students routes, whose token check covers `/api/v1/students*` only).
 */
export const studentsContractRoutes = (topic: string) => contractRoutes(studentsContract(topic));
