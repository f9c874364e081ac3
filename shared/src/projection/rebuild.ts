import type { Admin } from 'kafkajs';
import { Projector, type ProjectorOptions } from './projector';

export interface RebuildProgress {
  processed: number;
  total: number;
  eventsPerSecond: number;
  done: boolean;
}

/**
 * Drops a read model and replays its topics from offset 0 with a throw-away consumer group, until
 * the partition heads captured at the start are reached. The live projector may keep running: both
 * write through the version guard, so the result is the same read model.
 */
export async function rebuildProjection(
  options: Omit<ProjectorOptions, 'groupId' | 'fromBeginning'> & { admin: Admin; groupId: string },
  onProgress: (p: RebuildProgress) => void = () => undefined,
  progressEveryMs = 1_000,
): Promise<RebuildProgress> {
  const { admin, topics, projection, db } = options;
  const targets = new Map<string, bigint>();
  let total = 0;
  for (const topic of topics) {
    for (const { partition, high, low } of await admin.fetchTopicOffsets(topic)) {
      if (BigInt(high) > BigInt(low)) {
        targets.set(`${topic}:${partition}`, BigInt(high));
        total += Number(BigInt(high) - BigInt(low));
      }
    }
  }
  await projection.reset(db);
  const groupId = `${options.groupId}.rebuild.${Date.now()}`;
  const projector = new Projector({ ...options, groupId, fromBeginning: true, dlqTopic: options.dlqTopic ?? `${options.groupId}.dlq` });
  const started = performance.now();
  let processed = 0;
  const progress = (done: boolean): RebuildProgress => {
    const seconds = (performance.now() - started) / 1000;
    return { processed, total, eventsPerSecond: seconds > 0 ? Math.round(processed / seconds) : 0, done };
  };
  let finish: () => void = () => undefined;
  const finished = new Promise<void>((resolve) => (finish = resolve));
  const remaining = new Set(targets.keys());
  projector.onProcessed = (topic, partition, offset) => {
    processed++;
    const key = `${topic}:${partition}`;
    const target = targets.get(key);
    if (target !== undefined && BigInt(offset) + 1n >= target) remaining.delete(key);
    if (remaining.size === 0) finish();
  };
  if (remaining.size === 0) finish();
  const ticker = setInterval(() => onProgress(progress(false)), progressEveryMs);
  try {
    await projector.start();
    await finished;
  } finally {
    clearInterval(ticker);
    await projector.stop();
    await admin.deleteGroups([groupId]).catch(() => undefined);
  }
  const result = progress(true);
  onProgress(result);
  return result;
}
