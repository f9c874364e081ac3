import type { Collection, Db } from 'mongodb';
import { ConflictError } from '@sms/shared/errors';
import { isDuplicateKey } from '@sms/shared/mongo';

interface RollClaim {
  _id: string;
  stream: string;
}

/**
 * Roll numbers are unique within an organization (case-insensitive), enforced at write time: a claim
 * document `<org>:roll:<lowercased roll_no>` is inserted before the append and released when the
 * number is given up. The read model is eventual; this is not.
 */
/** `_id` = `<org>:roll:<lowercased roll number>`. */
export const ROLL_CLAIMS = 'student_claims';

export class RollClaims {
  private readonly claims: Collection<RollClaim>;

  constructor(db: Db) {
    this.claims = db.collection<RollClaim>(ROLL_CLAIMS);
  }

  static key(org: string, rollNo: string): string {
    return `${org}:roll:${rollNo.toLowerCase()}`;
  }

  /** Claims a roll number for a student; held by another student is a 409, by the same one a no-op. */
  async claim(org: string, rollNo: string, stream: string): Promise<void> {
    const _id = RollClaims.key(org, rollNo);
    try {
      await this.claims.insertOne({ _id, stream });
    } catch (err) {
      if (!isDuplicateKey(err)) throw err;
      const holder = await this.claims.findOne({ _id });
      if (holder?.stream !== stream) throw new ConflictError(`roll number ${rollNo} is already taken in this organization`, 'roll_no_taken');
    }
  }

  async release(org: string, rollNo: string, stream: string): Promise<void> {
    await this.claims.deleteOne({ _id: RollClaims.key(org, rollNo), stream });
  }
}
