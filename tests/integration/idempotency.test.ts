import { IDEMPOTENCY_KEYS, IDEMPOTENCY_TTL_MS, IdempotencyKeys } from '@sms/shared/idempotency';
import { backboneContext, type BackboneContext } from '../support/backbone';

let ctx: BackboneContext;
beforeAll(async () => {
  ctx = await backboneContext('idem');
});
afterAll(async () => {
  await ctx.db.dropDatabase().catch(() => undefined);
  await ctx.close();
});

const answer = { status: 201, body: { id: 1 }, headers: {} };

it('replays a key\'s stored answer, refuses it with another request, and forgets it once it is older than its lifetime', async () => {
  const keys = new IdempotencyKeys(ctx.db);
  expect(await keys.begin('org-a', 'k1', 'fp-1')).toEqual({});
  await keys.complete('org-a', 'k1', answer);
  expect(await keys.begin('org-a', 'k1', 'fp-1')).toEqual({ replay: answer });
  await expect(keys.begin('org-a', 'k1', 'fp-2')).rejects.toMatchObject({ status: 409, code: 'idempotency_key_reused' });
  // Another scope's key of the same name is its own.
  expect(await keys.begin('org-b', 'k1', 'fp-2')).toEqual({});

  // A day later (the record aged here rather than waited for).
  await ctx.db.collection(IDEMPOTENCY_KEYS).updateOne({ _id: 'org-a:k1' as never }, { $set: { createdAt: new Date(Date.now() - IDEMPOTENCY_TTL_MS - 1_000) } });
  // Expired: the key is free again, for any request, and holds no answer until this one completes.
  expect(await keys.begin('org-a', 'k1', 'fp-2')).toEqual({});
  await expect(keys.begin('org-a', 'k1', 'fp-2')).rejects.toMatchObject({ code: 'idempotency_in_progress' });
});
