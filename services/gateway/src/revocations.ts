import type { Kafka } from 'kafkajs';
import type { Logger } from 'pino';

/**
 * What auth has revoked, learnt from `auth.events` (see services/auth/README.md, "Revocation
 * contract"): sessions by id, and per user every token issued before an instant; and, from
 * `organizations.events`, the deleted organizations, whose every token is refused. Every gateway
 * instance reads the whole topic with a group of its own, so each holds the full picture; entries
 * older than the access-token lifetime are dropped since such tokens have expired anyway.
 */
export class Revocations {
  private readonly sessions = new Map<string, number>();
  private readonly users = new Map<string, number>();
  private readonly organizations = new Map<string, number>();
  private consumer: ReturnType<Kafka['consumer']> | undefined;
  private group: { kafka: Kafka; id: string } | undefined;
  private caughtUp = false;

  constructor(private readonly accessTtlMs: number) {}

  isRevoked(claims: { sid: string; sub: string; iat: number; org: string }): boolean {
    if (this.sessions.has(claims.sid) || this.organizations.has(claims.org)) return true;
    const before = this.users.get(claims.sub);
    return before !== undefined && claims.iat * 1000 < before;
  }

  /** Applies one raw event value; unknown or malformed values are ignored (auth validated them). */
  apply(value: Buffer | null): void {
    if (!value) return;
    let event: { type?: string; subject?: string; time?: string; data?: { revokedBefore?: string } };
    try {
      event = JSON.parse(value.toString('utf8'));
    } catch {
      return;
    }
    const now = Date.now();
    if (event.type === 'auth.session.revoked.v1' && event.subject?.startsWith('session-')) {
      this.sessions.set(event.subject.slice('session-'.length), Date.parse(event.time ?? '') || now);
    } else if (event.type === 'auth.user.sessions-revoked.v1' && event.subject && event.data?.revokedBefore) {
      const before = Date.parse(event.data.revokedBefore);
      if (before > (this.users.get(event.subject) ?? 0)) this.users.set(event.subject, before);
    } else if (event.type === 'organizations.organization.deleted.v1' && event.subject) {
      // Organization ids are never reused: every token of it, whenever issued, is refused.
      this.organizations.set(event.subject, Date.parse(event.time ?? '') || now);
    }
    this.prune(now);
  }

  private prune(now: number): void {
    if ((this.sessions.size + this.users.size + this.organizations.size) % 1000 !== 0) return;
    for (const entries of [this.sessions, this.users, this.organizations]) {
      for (const [key, at] of entries) if (at < now - this.accessTtlMs) entries.delete(key);
    }
  }

  async start(kafka: Kafka, topics: string[], instance: string, logger: Logger): Promise<void> {
    const admin = kafka.admin();
    await admin.connect();
    const heads = new Map<string, bigint>();
    for (const topic of topics) {
      for (const p of await admin.fetchTopicOffsets(topic)) heads.set(`${topic}/${p.partition}`, BigInt(p.high));
    }
    await admin.disconnect();
    const pending = new Set([...heads].filter(([, high]) => high > 0n).map(([partition]) => partition));
    this.caughtUp = pending.size === 0;
    this.group = { kafka, id: `gateway-revocations-${instance}` };
    // A long poll: the broker answers a fetch as soon as an event arrives (minBytes 1), so the wait
    // only sets how often an idle consumer asks again (every 100 ms was 5% of the gateway's CPU).
    this.consumer = kafka.consumer({ groupId: this.group.id, maxWaitTimeInMs: 1_000 });
    await this.consumer.connect();
    await this.consumer.subscribe({ topics, fromBeginning: true });
    await this.consumer.run({
      eachMessage: async ({ topic, partition, message }) => {
        this.apply(message.value);
        const key = `${topic}/${partition}`;
        if (!this.caughtUp && BigInt(message.offset) + 1n >= (heads.get(key) ?? 0n)) {
          pending.delete(key);
          if (pending.size === 0) {
            this.caughtUp = true;
            logger.info({ topics }, 'revocations caught up');
          }
        }
      },
    });
  }

  /** Ready only once the revocations that existed at start-up have been read. */
  ready(): boolean {
    return this.caughtUp;
  }

  async stop(): Promise<void> {
    await this.consumer?.disconnect();
    // The group is this instance's alone: remove it rather than leave one behind per start.
    if (!this.group) return;
    const admin = this.group.kafka.admin();
    try {
      await admin.connect();
      await admin.deleteGroups([this.group.id]);
    } catch {
      // Kafka gone at shutdown: the empty group expires with the broker's offsets retention.
    } finally {
      await admin.disconnect().catch(() => undefined);
      this.group = undefined;
    }
  }
}
