import { z } from 'zod';
import { ValidationError } from '../errors';
import { decodeCursor, encodeCursor } from './cursor';

describe('page cursors', () => {
  const Key = z.object({ v: z.string(), id: z.number().int() }).strict();

  it('give back what was put in', () => {
    expect(decodeCursor(encodeCursor({ v: 'ada', id: 3 }), Key)).toEqual({ v: 'ada', id: 3 });
  });

  it.each(['{"v":1,"id":3}', '{"v":{"$gt":""},"id":3}', '"ada"', 'null', 'not json', '{"v":"a","id":3,"more":1}'])(
    'refuse a forged %s with a 400 invalid cursor',
    (json) => {
      const forged = Buffer.from(json).toString('base64url');
      expect(() => decodeCursor(forged, Key)).toThrow(ValidationError);
      expect(() => decodeCursor(forged, Key)).toThrow('invalid cursor');
    },
  );
});
