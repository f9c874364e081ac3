import { startPlatform, type Platform } from '../support/platform';

let platform: Platform;

beforeAll(async () => {
  platform = await startPlatform();
});
afterAll(() => platform.stop());

describe('the platform behind the gateway', () => {
  it.each(['gateway', 'auth', 'students', 'organizations'] as const)('%s answers the health family', async (name) => {
    const { url } = platform[name];
    const live = await fetch(`${url}/health/live`);
    expect(live.status).toBe(200);
    const ready = await fetch(`${url}/health/ready`);
    expect(ready.status).toBe(200);
    const summary = (await (await fetch(`${url}/health`)).json()) as { status: string; service: string; checks: Record<string, { status: string }> };
    expect(summary).toMatchObject({ status: 'up', service: name });
    if (name !== 'gateway') expect(summary.checks).toMatchObject({ mongodb: { status: 'up' }, kafka: { status: 'up' } });
    const metrics = await fetch(`${url}/metrics`);
    expect(await metrics.text()).toContain('process_cpu_user_seconds_total');
  });

  it('the gateway is ready only while every service is', async () => {
    const ready = (await (await fetch(`${platform.gateway.url}/health/ready`)).json()) as { checks: Record<string, { status: string }> };
    expect(Object.keys(ready.checks).sort()).toEqual(['auth', 'kafka', 'organizations', 'revocations', 'students']);

    await platform.students.stop();
    const res = await fetch(`${platform.gateway.url}/health/ready`);
    expect(res.status).toBe(503);
    const body = (await res.json()) as { status: string; checks: Record<string, { status: string; error?: string }> };
    expect(body.status).toBe('down');
    expect(body.checks.students?.status).toBe('down');
    expect(body.checks.auth?.status).toBe('up');
  });
});
