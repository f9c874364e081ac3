import { startService, type RunningService } from '@sms/shared/service';
import type { Config as GatewayConfig } from '../../services/gateway/src/config';
import { gatewayService } from '../../services/gateway/src/service';
import type { Config as StudentsConfig } from '../../services/students/src/config';
import { studentsService } from '../../services/students/src/service';
import { bearer, client, type Client } from '../support/auth';
import { eventually } from '../support/backbone';
import { startPlatform, type Platform } from '../support/platform';

// The platform, and a gateway of this file in front of it whose breakers open after 3 failed calls
// (more than 50 % of at least 3 in 10 s) and probe again after 3 s.
const RESET_MS = 3_000;
let platform: Platform;
let gateway: RunningService;
let api: Client;
let restarted: RunningService | undefined;
let member: string;
let admin: string;
let studentPath: string;
const password = 'correct horse battery staple';

beforeAll(async () => {
  platform = await startPlatform();
  gateway = await startService(gatewayService({
    ...(platform.gateway.context.config as GatewayConfig),
    PORT: 0,
    BREAKER_VOLUME_THRESHOLD: 3,
    BREAKER_ERROR_THRESHOLD_PERCENT: 50,
    BREAKER_WINDOW_MS: 10_000,
    BREAKER_RESET_TIMEOUT_MS: RESET_MS,
  }));
  api = client(gateway.url);
  await api.post('/api/v1/auth/admin-signup', { username: 'brkadmin', email: 'brkadmin@example.com', password });
  admin = (await api.post('/api/v1/auth/login', { username: 'brkadmin', password })).body.accessToken;
  await api.post('/api/v1/auth/signup', { username: 'brkuser', email: 'brkuser@example.com', password });
  member = (await api.post('/api/v1/auth/login', { username: 'brkuser', password })).body.accessToken;
  const created = await api.post('/api/v1/students', { name: 'Milhouse Van Houten', age: 10, roll_no: 'R-7', grade: '4' }, bearer(admin));
  expect(created.status).toBe(201);
  studentPath = `/api/v1/students/${created.body.student.id}`;
});

afterAll(async () => {
  if (restarted) {
    await restarted.context.mongo?.db.dropDatabase().catch(() => undefined);
    await restarted.stop();
  }
  await gateway?.stop();
  await platform?.stop();
});

const read = () => api.get(studentPath, bearer(member));

/** The gateway's breaker gauge and refusal counter for one upstream, from its /metrics. */
async function breakerMetrics(upstream: string): Promise<{ state: number; rejected: number }> {
  const text = await (await fetch(`${gateway.url}/metrics`)).text();
  const value = (name: string) => {
    const line = text.split('\n').find((l) => l.startsWith(`${name}{`) && l.includes(`upstream="${upstream}"`));
    return Number(line?.split(' ').pop());
  };
  return { state: value('gateway_circuit_state'), rejected: value('gateway_circuit_rejected_total') };
}

describe('the gateway circuit breaker', () => {
  describe('when students is stopped', () => {
    it('tries it until the threshold, then answers 503 circuit_open with Retry-After at once', async () => {
      expect((await read()).status).toBe(200);
      await platform.students.stop();
      // Three calls reach for the service and find it gone...
      for (let i = 0; i < 3; i++) {
        const res = await read();
        expect(res.status).toBe(503);
        expect(res.body).toMatchObject({ code: 'service_unavailable', detail: 'students is unavailable' });
      }
      // ...then the breaker answers for it.
      const res = await read();
      expect(res.status).toBe(503);
      expect(res.headers.get('content-type')).toBe('application/problem+json');
      expect(res.body).toMatchObject({ status: 503, code: 'circuit_open', instance: studentPath });
      const retryAfter = Number(res.headers.get('retry-after'));
      expect(retryAfter).toBeGreaterThanOrEqual(1);
      expect(retryAfter).toBeLessThanOrEqual(RESET_MS / 1000);
      expect(await breakerMetrics('students')).toEqual({ state: 2, rejected: 1 });
    });

    it('keeps the other services reachable: their breakers are separate', async () => {
      expect((await api.get('/api/v1/auth/me', bearer(member))).status).toBe(200);
      expect((await breakerMetrics('auth')).state).toBe(0);
    });
  });

  describe('when students is back', () => {
    let seen = 0;
    let openWhileUp: { status: number; body: any; headers: Headers };

    beforeAll(async () => {
      const config = { ...(platform.students.context.config as StudentsConfig), PORT: platform.students.port };
      const def = studentsService(config);
      restarted = await startService({
        ...def,
        setup: async (app, ctx) => {
          app.use((req, _res, next) => {
            if (req.path.startsWith('/api/v1/students')) seen++;
            next();
          });
          const workers = await def.setup?.(app, ctx);
          // Just before the service listens again, make sure the breaker opened afresh: a failed
          // probe (the service is not listening yet) restarts its reset timeout.
          await eventually(async () => (await read()).body.detail === 'students is unavailable', 20_000, 'a failed probe');
          return workers;
        },
      });
      openWhileUp = await read();
    });

    it('still answers from the open breaker without calling the service', () => {
      expect(openWhileUp.status).toBe(503);
      expect(openWhileUp.body.code).toBe('circuit_open');
      expect(Number(openWhileUp.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      expect(seen).toBe(0);
    });

    it('lets a probe through after the reset timeout, closes, and serves reads again', async () => {
      let passed = 0;
      await eventually(async () => {
        const res = await read();
        if (res.body?.code !== 'circuit_open') passed++;
        return res.status === 200;
      }, 20_000, 'the breaker to close');
      // Every answer that did not come from the open breaker reached the service, and no other did.
      expect(seen).toBe(passed);
      expect((await read()).status).toBe(200);
      expect(seen).toBe(passed + 1);
      expect((await breakerMetrics('students')).state).toBe(0);
    });
  });
});
