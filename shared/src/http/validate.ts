import type { z } from 'zod';
import { fromZod } from './problem';

/** Parses untrusted input with a schema; a failure becomes a 400 problem naming each bad field. */
export function parseWith<S extends z.ZodType>(schema: S, input: unknown, what = 'request body'): z.infer<S> {
  const result = schema.safeParse(input);
  if (!result.success) throw fromZod(result.error, what);
  return result.data;
}
