// The staff_seen table: people the auth adapter has seen sign in, with the roles and communities they
// came with last time. The directory reads it when the host maps no staff table.
import type { Knex } from 'knex';
import type { Actor } from '../auth/actor.js';
import type { TableNames } from '../db/tables.js';
import { isDuplicateKeyError } from '../db/errors.js';
import { requireDbTime, toDbTime } from '../db/time.js';

export interface SeenPerson {
  id: string;
  name: string;
  roles: string[];
  communityIds: string[] | null;
  lastSeenAt: Date;
}

type Db = Knex | Knex.Transaction;

function rowToSeen(row: Record<string, unknown>): SeenPerson {
  const communities = row.community_ids === null || row.community_ids === undefined ? null : (JSON.parse(String(row.community_ids)) as string[]);
  return {
    id: String(row.actor_id),
    name: String(row.name),
    roles: JSON.parse(String(row.roles)) as string[],
    communityIds: communities,
    lastSeenAt: requireDbTime(row.last_seen_at as string),
  };
}

/** Records (or refreshes) a person; a concurrent first sighting of the same person is harmless. */
export async function upsertSeen(db: Db, tables: TableNames, actor: Actor, now: Date): Promise<void> {
  const values = {
    name: actor.name.slice(0, 100),
    roles: JSON.stringify(actor.roles),
    community_ids: actor.communityIds === null ? null : JSON.stringify(actor.communityIds),
    last_seen_at: toDbTime(now),
  };
  const updated = await db(tables.staffSeen).where({ actor_id: actor.id }).update(values);
  if (updated) return;
  try {
    await db(tables.staffSeen).insert({ actor_id: actor.id, first_seen_at: toDbTime(now), ...values });
  } catch (err) {
    if (!isDuplicateKeyError(err)) throw err;
    await db(tables.staffSeen).where({ actor_id: actor.id }).update(values);
  }
}

export async function findSeen(db: Db, tables: TableNames, id: string): Promise<SeenPerson | null> {
  const row = (await db(tables.staffSeen).where({ actor_id: id }).first()) as Record<string, unknown> | undefined;
  return row ? rowToSeen(row) : null;
}

/** Everyone seen, most recently seen first (at most `limit`). */
export async function listSeen(db: Db, tables: TableNames, limit: number): Promise<SeenPerson[]> {
  const rows = (await db(tables.staffSeen)
    .orderBy([{ column: 'last_seen_at', order: 'desc' }, { column: 'actor_id' }])
    .limit(limit)) as Array<Record<string, unknown>>;
  return rows.map(rowToSeen);
}
