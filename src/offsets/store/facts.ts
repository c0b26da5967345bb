// What the billing check and the offset rules read of our tables besides the offset itself: a
// complaint's facts, and everything of ours about a batch of bills in one round trip.
import type { Knex } from 'knex';
import { OPEN_STATES } from '../../complaints/states.js';
import { CHUNK_CONCURRENCY, mapLimit } from '../../common/parallel.js';
import { isMysql } from '../../db/connection.js';
import type { TableNames } from '../../db/tables.js';
import { chunked, type BillFacts, type ComplaintFacts, type OffsetFacts, type OffsetStatus, type OffsetWithLimits } from '../model.js';
import { COMPLAINT_FACT_COLUMNS, complaintFactsFromRow, dateOnly, str, type ComplaintFactsRow } from './rows.js';

type Db = Knex | Knex.Transaction;
type Row = Record<string, unknown>;

/** `lock`: a shared locking read, which waits for a cancellation in progress and sees its result. */
export async function readComplaintFacts(db: Db, tables: TableNames, id: number, options: { lock?: boolean } = {}): Promise<ComplaintFacts | null> {
  const qb = db(tables.complaints)
    .select([...COMPLAINT_FACT_COLUMNS])
    .where({ id })
    .first();
  if (options.lock) qb.forShare();
  const row = (await qb) as ComplaintFactsRow | undefined;
  return row ? complaintFactsFromRow(row) : null;
}

// The one result shape of billFacts' UNION ALL; each branch fills its own columns and leaves NULL elsewhere.
const FACT_COLUMNS = [
  'id',
  'code',
  'state',
  'unit_id',
  'owner_id',
  'community_id',
  'dispute_type',
  'threatened_withholding',
  'bill_id',
  'fen',
  'status',
  'expires_on',
] as const;
type FactColumn = (typeof FACT_COLUMNS)[number];

/** One branch's SELECT list, as SQL (backtick quoting: MySQL's, and accepted by SQLite). */
function factsSelect(kind: string, columns: Partial<Record<FactColumn, string>>): string {
  return `SELECT '${kind}' AS kind, ${FACT_COLUMNS.map((name) => `${columns[name] ?? 'NULL'} AS \`${name}\``).join(', ')}`;
}

const marks = (n: number) => Array.from({ length: n }, () => '?').join(', ');

/**
 * Everything of ours the billing check reads, in one round trip per thousand bills (and offsets): a UNION
 * ALL of the units' open complaints, the fen applied per bill, and the offsets with their bill limits,
 * told apart by `kind`. At the counter this makes a check two statements: the host's bill, then this.
 * Written as SQL text rather than with the query builder: this is the hottest query of fee collection,
 * and building it from forty fragments cost more than running it.
 */
export async function billFacts(db: Db, tables: TableNames, bills: Array<{ id: string; unitId: string }>, offsetIds: number[]): Promise<BillFacts> {
  const t = tables;
  const complaints = new Map<number, ComplaintFacts>();
  const appliedFen = new Map<string, number>();
  const offsets = new Map<number, OffsetWithLimits<OffsetFacts>>();
  const openStates = [...OPEN_STATES];
  const billChunks = chunked(bills);
  const offsetChunks = chunked([...new Set(offsetIds)]);
  const rounds = Array.from({ length: Math.max(billChunks.length, offsetChunks.length) }, (_, i) => i);
  const results = await mapLimit(rounds, CHUNK_CONCURRENCY, async (i) => {
    const branches: string[] = [];
    const bindings: Array<string | number> = [];
    const chunk = billChunks[i];
    if (chunk) {
      const units = [...new Set(chunk.map((b) => b.unitId))];
      branches.push(
        `${factsSelect('complaint', Object.fromEntries(COMPLAINT_FACT_COLUMNS.map((c) => [c, `\`${c}\``])))} FROM \`${t.complaints}\`` +
          ` WHERE \`unit_id\` IN (${marks(units.length)}) AND \`state\` IN (${marks(openStates.length)})`,
        `${factsSelect('applied', { bill_id: '`bill_id`', fen: '`applied_fen`' })} FROM \`${t.offsetBillLedger}\`` +
          ` WHERE \`bill_id\` IN (${marks(chunk.length)})`,
      );
      bindings.push(...units, ...openStates, ...chunk.map((b) => b.id));
    }
    const ids = offsetChunks[i];
    if (ids) {
      branches.push(
        `${factsSelect('offset', { id: 'o.`id`', unit_id: 'o.`unit_id`', owner_id: 'o.`owner_id`', bill_id: 'ob.`bill_id`', fen: 'o.`remaining_fen`', status: 'o.`status`', expires_on: 'o.`expires_on`' })}` +
          ` FROM \`${t.offsets}\` o LEFT JOIN \`${t.offsetBills}\` ob ON ob.\`offset_id\` = o.\`id\` WHERE o.\`id\` IN (${marks(ids.length)})`,
      );
      bindings.push(...ids);
    }
    const result = (await db.raw(branches.join(' UNION ALL '), bindings)) as unknown;
    return (isMysql(db as Knex) ? (result as [Row[]])[0] : result) as Row[];
  });
  for (const rows of results) {
    for (const row of rows) {
      if (row.kind === 'applied') appliedFen.set(String(row.bill_id), Number(row.fen ?? 0));
      else if (row.kind === 'complaint') complaints.set(Number(row.id), complaintFactsFromRow(row as unknown as ComplaintFactsRow));
      else {
        const id = Number(row.id);
        let entry = offsets.get(id);
        if (!entry) {
          entry = {
            offset: {
              id,
              unitId: String(row.unit_id),
              ownerId: str(row.owner_id),
              remainingFen: Number(row.fen),
              status: String(row.status) as OffsetStatus,
              expiresOn: dateOnly(row.expires_on),
            },
            billLimits: null,
          };
          offsets.set(id, entry);
        }
        if (row.bill_id !== null && row.bill_id !== undefined) (entry.billLimits ??= new Set()).add(String(row.bill_id));
      }
    }
  }
  return { openComplaints: [...complaints.values()].sort((x, y) => x.id - y.id), appliedFen, offsets };
}
