import { MongoClient, MongoServerError, type Db } from 'mongodb';
import type { HealthCheck } from '../health';

export { MongoClient, type Db, type Collection } from 'mongodb';

/**
 * A client that works against MongoDB and the local mongo-java-server alike: no server API version,
 * no compression, no transactions (the backbone uses single-document atomic writes only).
 */
export async function connectMongo(url: string, appName: string): Promise<MongoClient> {
  const client = new MongoClient(url, {
    appName,
    maxPoolSize: 20,
    serverSelectionTimeoutMS: 5_000,
    connectTimeoutMS: 5_000,
  });
  await client.connect();
  return client;
}

export function isDuplicateKey(err: unknown): boolean {
  return err instanceof MongoServerError && err.code === 11000;
}

export function mongoHealthCheck(db: Db): HealthCheck {
  return { name: 'mongodb', check: async () => void (await db.command({ ping: 1 })) };
}

/** A string matched literally inside a `$regex` (metacharacters escaped): user input never becomes a pattern. */
export const escapeRegex = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
