import type { Db, Filter, Sort as MongoSort } from 'mongodb';
import { ValidationError } from '@sms/shared/errors';
import { escapeRegex } from '@sms/shared/mongo';
import type { ListStudentsQuery, Sort } from '../http/schemas';
import { studentsCollection, type StudentRow } from './students';

const SORT_FIELDS = { id: 'id', name: 'nameLower', age: 'age', roll_no: 'rollLower', created_at: 'created_at' } as const;
type Cursor = { s: Sort; v: string | number; id: number };

const encodeCursor = (c: Cursor) => Buffer.from(JSON.stringify(c)).toString('base64url');

function decodeCursor(raw: string, sort: Sort): Cursor {
  try {
    const c = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8')) as Partial<Cursor>;
    if (c.s === sort && (typeof c.v === 'string' || typeof c.v === 'number') && typeof c.id === 'number') return c as Cursor;
  } catch {
    // fall through to the 400
  }
  throw new ValidationError('cursor is not valid for this query', [{ path: 'cursor', message: 'use the nextCursor of the previous page, with the same sort' }]);
}

/**
 * A page of one organization's students, keyset-paginated on (sort key, id). Every filter is led by
 * the organization and the tombstone flag.
 */
export async function searchStudents(db: Db, org: string, query: ListStudentsQuery): Promise<{ rows: StudentRow[]; nextCursor: string | null }> {
  const and: Array<Filter<StudentRow>> = [{ org, deleted: false }];
  if (query.grade !== undefined) and.push({ grade: query.grade });
  if (query.roll_no !== undefined) and.push({ rollLower: query.roll_no.toLowerCase() });
  if (query.name !== undefined) and.push({ nameLower: { $regex: escapeRegex(query.name.toLowerCase()) } });
  if (query.min_age !== undefined) and.push({ age: { $gte: query.min_age } });
  if (query.max_age !== undefined) and.push({ age: { $lte: query.max_age } });

  const descending = query.sort.startsWith('-');
  const key = SORT_FIELDS[query.sort.replace('-', '') as keyof typeof SORT_FIELDS];
  const op = descending ? '$lt' : '$gt';
  if (query.cursor !== undefined) {
    const c = decodeCursor(query.cursor, query.sort);
    and.push(key === 'id' ? { id: { [op]: c.id } } : { $or: [{ [key]: { [op]: c.v } }, { [key]: c.v, id: { [op]: c.id } }] } as Filter<StudentRow>);
  }
  const direction = descending ? -1 : 1;
  const sort: MongoSort = key === 'id' ? { id: direction } : { [key]: direction, id: direction };
  const filter: Filter<StudentRow> = and.length === 1 ? and[0]! : { $and: and };
  const rows = await studentsCollection(db).find(filter).sort(sort).limit(query.limit + 1).toArray();
  const page = rows.slice(0, query.limit);
  const last = page.at(-1);
  return {
    rows: page,
    nextCursor: rows.length > query.limit && last ? encodeCursor({ s: query.sort, v: last[key], id: last.id }) : null,
  };
}
