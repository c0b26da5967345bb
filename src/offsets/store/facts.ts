// What the billing check and the offset rules read of our tables besides the offset itself: a
// complaint's facts, and everything of ours about a batch of bills in one round trip.
import type { Knex } from 'knex';
import { OPEN_STATES } from '../../complaints/states.js';
import { CHUNK_CONCURRENCY, mapLimit } from '../../common/parallel.js';
import { isMysql, rawRows } from '../../db/connection.js';
import { selectPrepared } from '../../db/prepared.js';
import { isMissingIndexError } from '../../db/errors.js';
import { namedIndexes, type TableNames } from '../../db/tables.js';
import type { BillJoins, BillsSubquery, HostBill } from '../../host/reader.js';
import { chunked, ID_CHUNK, type BillFacts, type ComplaintFacts, type OffsetFacts, type OffsetStatus, type OffsetWithLimits } from '../model.js';
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
// An offset's branch can also carry its complaint (complaint_id, and the complaint's code and community in
// `code` and `community_id`), for the outbox event of an application.
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
  'complaint_id',
] as const;
type FactColumn = (typeof FACT_COLUMNS)[number];

/** One branch's SELECT list, as SQL (backtick quoting: MySQL's, and accepted by SQLite); `tail` ends every row. */
function factsSelect(kind: string, columns: Partial<Record<FactColumn, string>>, tail = ''): string {
  return `SELECT '${kind}' AS kind, ${FACT_COLUMNS.map((name) => `${columns[name] ?? 'NULL'} AS \`${name}\``).join(', ')}${tail}`;
}

const marks = (n: number) => Array.from({ length: n }, () => '?').join(', ');

/** The complaint an offset belongs to, as the billing facts read it (an application's outbox event needs it). */
export interface OffsetComplaint {
  complaintId: number;
  complaintCode: string;
  communityId: string | null;
}

export interface BillFactsOptions {
  /** Read the units' open complaints (the check's warnings); an application does not need them. */
  complaints?: boolean;
  /** Read each offset's complaint id, code and community (offsetComplaints in the answer). */
  offsetComplaints?: boolean;
  /**
   * Send billsWithFacts' statement prepared (MySQL): for the few shapes of a single check or application,
   * not for month-end batches, whose every size would be one more statement kept on each connection.
   */
  prepared?: boolean;
}

export interface BillFactsRead extends BillFacts {
  /** Filled with `offsetComplaints`. */
  offsetComplaints: Map<number, OffsetComplaint>;
}

type Branch = { sql: string; bindings: Knex.Value[] };

/**
 * The units' open complaints. `namedIndex` (MySQL, where the units come from a subquery): MariaDB then
 * looks the units up on the first index that starts with unit_id (unit, category) and reads every
 * complaint of each unit to test its state (a thousand bills on the bench's million: 395 ms against 50 ms).
 * The named index finds only the open ones and holds every column read here, so no row is read from the
 * table (that halved a month-end batch again, bench/batch-profile.ts).
 */
function complaintsBranch(t: TableNames, units: { sql: string; bindings: Knex.Value[] }, tail: string, namedIndex = false): Branch {
  const openStates = [...OPEN_STATES];
  const from = namedIndex ? `\`${t.complaints}\` USE INDEX (\`${namedIndexes(t).openComplaintsByUnit}\`)` : `\`${t.complaints}\``;
  return {
    sql:
      `${factsSelect('complaint', Object.fromEntries(COMPLAINT_FACT_COLUMNS.map((c) => [c, `\`${c}\``])), tail)} FROM ${from}` +
      ` WHERE \`unit_id\` IN (${units.sql}) AND \`state\` IN (${marks(openStates.length)})`,
    bindings: [...units.bindings, ...openStates],
  };
}

function appliedBranch(t: TableNames, bills: { sql: string; bindings: Knex.Value[] }, tail: string): Branch {
  return {
    sql: `${factsSelect('applied', { bill_id: '`bill_id`', fen: '`applied_fen`' }, tail)} FROM \`${t.offsetBillLedger}\` WHERE \`bill_id\` IN (${bills.sql})`,
    bindings: bills.bindings,
  };
}

function offsetsBranch(t: TableNames, ids: number[], withComplaint: boolean, tail: string): Branch {
  const columns: Partial<Record<FactColumn, string>> = {
    id: 'o.`id`',
    unit_id: 'o.`unit_id`',
    owner_id: 'o.`owner_id`',
    bill_id: 'ob.`bill_id`',
    fen: 'o.`remaining_fen`',
    status: 'o.`status`',
    expires_on: 'o.`expires_on`',
  };
  const join = withComplaint ? ` JOIN \`${t.complaints}\` c ON c.\`id\` = o.\`complaint_id\`` : '';
  if (withComplaint) Object.assign(columns, { complaint_id: 'o.`complaint_id`', code: 'c.`code`', community_id: 'c.`community_id`' });
  return {
    sql: `${factsSelect('offset', columns, tail)} FROM \`${t.offsets}\` o${join} LEFT JOIN \`${t.offsetBills}\` ob ON ob.\`offset_id\` = o.\`id\` WHERE o.\`id\` IN (${marks(ids.length)})`,
    bindings: ids,
  };
}

/** `prepared`: sent as a prepared statement where the driver can (see src/db/prepared.ts). */
async function run(db: Db, branches: Branch[], prepared = false): Promise<Row[]> {
  const sql = branches.map((b) => b.sql).join(' UNION ALL ');
  const bindings = branches.flatMap((b) => b.bindings);
  const rows = prepared ? await selectPrepared(db, sql, bindings) : null;
  if (rows) return rows;
  return rawRows<Row>(db as Knex, await db.raw(sql, bindings));
}

/** Sorts the UNION's rows into the facts, by `kind` (rows of other kinds are left to the caller). */
function readFacts(results: Row[][]): BillFactsRead {
  const complaints = new Map<number, ComplaintFacts>();
  const appliedFen = new Map<string, number>();
  const offsets = new Map<number, OffsetWithLimits<OffsetFacts>>();
  const offsetComplaints = new Map<number, OffsetComplaint>();
  for (const rows of results) {
    for (const row of rows) {
      if (row.kind === 'applied') appliedFen.set(String(row.bill_id), Number(row.fen ?? 0));
      else if (row.kind === 'complaint') complaints.set(Number(row.id), complaintFactsFromRow(row as unknown as ComplaintFactsRow));
      else if (row.kind === 'offset') {
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
          if (row.complaint_id !== null && row.complaint_id !== undefined)
            offsetComplaints.set(id, { complaintId: Number(row.complaint_id), complaintCode: String(row.code), communityId: str(row.community_id) });
        }
        if (row.bill_id !== null && row.bill_id !== undefined) (entry.billLimits ??= new Set()).add(String(row.bill_id));
      }
    }
  }
  return { openComplaints: [...complaints.values()].sort((x, y) => x.id - y.id), appliedFen, offsets, offsetComplaints };
}

/**
 * Everything of ours the billing check reads, in one round trip per thousand bills (and offsets): a UNION
 * ALL of the units' open complaints, the fen applied per bill, and the offsets with their bill limits,
 * told apart by `kind`. Used where the bills were read first (see billsWithFacts for one round trip).
 * Written as SQL text rather than with the query builder: this is the hottest query of fee collection,
 * and building it from forty fragments cost more than running it.
 */
export async function billFacts(
  db: Db,
  tables: TableNames,
  bills: Array<{ id: string; unitId: string }>,
  offsetIds: number[],
  options: BillFactsOptions = {},
): Promise<BillFactsRead> {
  const billChunks = chunked(bills);
  const offsetChunks = chunked([...new Set(offsetIds)]);
  const rounds = Array.from({ length: Math.max(billChunks.length, offsetChunks.length) }, (_, i) => i);
  const results = await mapLimit(rounds, CHUNK_CONCURRENCY, async (i) => {
    const branches: Branch[] = [];
    const chunk = billChunks[i];
    if (chunk) {
      const units = [...new Set(chunk.map((b) => b.unitId))];
      if (options.complaints !== false) branches.push(complaintsBranch(tables, { sql: marks(units.length), bindings: units }, ''));
      branches.push(appliedBranch(tables, { sql: marks(chunk.length), bindings: chunk.map((b) => b.id) }, ''));
    }
    const ids = offsetChunks[i];
    if (ids) branches.push(offsetsBranch(tables, ids, !!options.offsetComplaints, ''));
    return run(db, branches);
  });
  return readFacts(results);
}

/** Our columns that billsWithFacts compares with the host's bill key and unit (HostReader.billsSubquery checks them). */
export function billJoins(tables: TableNames): BillJoins {
  return { key: [{ table: tables.offsetBillLedger, column: 'bill_id' }], unit: [{ table: tables.complaints, column: 'unit_id' }] };
}

/**
 * The host's bills and everything of ours about them in ONE statement: the bill query (from the host
 * reader, as a derived table) is the UNION's first branch, and our branches find the units' complaints and
 * the bills' ledger rows through it rather than through values read beforehand. For at most a thousand
 * bills and offsets (one chunk), and only where HostReader.billsSubquery judged the joins safe.
 */
export async function billsWithFacts(
  db: Db,
  tables: TableNames,
  query: BillsSubquery,
  offsetIds: number[],
  options: BillFactsOptions = {},
): Promise<{ bills: Map<string, HostBill>; facts: BillFactsRead }> {
  const ids = [...new Set(offsetIds)];
  if (ids.length > ID_CHUNK) throw new Error('billsWithFacts: more offsets than one chunk');
  const q = (name: string) => `\`${name.replace(/`/g, '``')}\``;
  // The bill's columns end every row: filled by the bill's branch, NULL in ours.
  const tail = query.columns.map((c) => `, NULL AS ${q(c)}`).join('');
  const billsSelect = (column: string) => ({ sql: `SELECT b.${q(column)} FROM (${query.sql}) b`, bindings: query.bindings });
  const branches = (namedIndex: boolean): Branch[] => [
    { sql: `${factsSelect('bill', {})}${query.columns.map((c) => `, b.${q(c)} AS ${q(c)}`).join('')} FROM (${query.sql}) b`, bindings: query.bindings },
    ...(options.complaints !== false ? [complaintsBranch(tables, billsSelect(query.unitColumn), tail, namedIndex)] : []),
    appliedBranch(tables, billsSelect(query.keyColumn), tail),
    ...(ids.length ? [offsetsBranch(tables, ids, !!options.offsetComplaints, tail)] : []),
  ];
  const named = isMysql(db as Knex) && options.complaints !== false;
  let rows: Row[];
  try {
    rows = await run(db, branches(named), options.prepared === true);
  } catch (err) {
    // The index was dropped or renamed: fee collection goes on, on the database's own plan.
    if (!named || !isMissingIndexError(err)) throw err;
    rows = await run(db, branches(false), options.prepared === true);
  }
  return { bills: query.read(rows.filter((r) => r.kind === 'bill')), facts: readFacts([rows]) };
}
