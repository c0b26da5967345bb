// What the rest of the plugin may ask of the host's tables. HostGateway (gateway.ts) implements it
// through the mapping; domain code depends only on this interface.
import type { Knex } from 'knex';
import type { ShapedRead } from '../db/shapedReads.js';
export interface HostOwner {
  id: string;
  name: string;
  phone: string | null;
}

export interface HostUnit {
  id: string;
  label: string;
  communityId: string | null;
  communityName: string | null;
  owners: HostOwner[];
}

/**
 * Whether a bill is still to be paid, as the mapping tells it: 'unpaid' (nothing paid), 'partial' (some
 * paid, some outstanding) or 'paid'. A mapping that cannot tell treats every bill as unpaid.
 */
export type BillPaymentState = 'unpaid' | 'partial' | 'paid';

export interface HostBill {
  /** The host's own key, as read from its row (whatever case or padding the caller used to find it). */
  id: string;
  unitId: string;
  ownerId: string | null;
  amountFen: number;
  period: string | null;
  /** The host's own status value, as stored (null when the mapping has no status column). */
  status: string | null;
  paymentState: BillPaymentState;
  /** What is still to be paid on the bill (fen): the amount when unpaid, 0 when paid. */
  outstandingFen: number;
  /** paymentState !== 'paid': an offset may only go against a bill that is still outstanding. */
  unpaid: boolean;
}

/** A person of the ERP's user table (the optional `staff` entity). */
export interface HostStaff {
  id: string;
  name: string;
  mobile: string | null;
  department: string | null;
  /** Community ids the person works in; null: every community. */
  communityIds: string[] | null;
}

export interface HostReader {
  /** The live rows of the mapped staff table (at most `limit`); absent or [] when no staff table is mapped. */
  listStaff?(limit?: number): Promise<HostStaff[]>;
  getUnit(unitId: string): Promise<HostUnit | null>;
  getUnits(unitIds: string[]): Promise<Map<string, HostUnit>>;
  searchUnits(query: string, opts?: { communityIds?: string[] | null; limit?: number }): Promise<HostUnit[]>;
  listCommunities(): Promise<Array<{ id: string; name: string }>>;
  getBill(billId: string): Promise<HostBill | null>;
  /**
   * Bills by the ids asked for: the map is keyed by each id as given, its bill carries the host's own key
   * (`b2026…` finds the bill `B2026…` where the host's collation says they are one).
   */
  getBills(billIds: string[]): Promise<Map<string, HostBill>>;
  listUnpaidBills(unitId: string, limit?: number): Promise<HostBill[]>;
  /**
   * The same reader inside a host's transaction: on SQLite the pool has one connection, which that
   * transaction holds, and on MySQL it lets us see the host's own uncommitted bill.
   */
  within(trx: Knex.Transaction): HostReader;
  /**
   * Of ids that getBills did not find, those that are bills in the host's table left out by the mapping's
   * filter (a water bill when only property fees are mapped). Optional: readers that cannot tell omit it.
   */
  billsOutsideMapping?(billIds: string[]): Promise<Set<string>>;
  /**
   * The bill query for these ids as SQL text one of our statements embeds, so the bills and our rows
   * about them come back in one round trip (see BillsSubquery). Optional; null when it would not be safe
   * (the caller then reads the bills first).
   */
  billsSubquery?(billIds: string[], compare: BillJoins): Promise<BillsSubquery | null>;
  /**
   * The intake page's two host reads (a unit with its owners, its unpaid bills) as reads the caller sends
   * in one statement with its own (src/db/shapedReads.ts). Optional; null where they cannot be (the caller
   * then uses getUnit and listUnpaidBills).
   */
  unitPanelReads?(unitId: string, billLimit: number): Promise<UnitPanelReads | null>;
}

/** See HostReader.unitPanelReads: the unit (null when missing), and its unpaid bills, latest period first. */
export interface UnitPanelReads {
  unit: ShapedRead<Promise<HostUnit | null>>;
  bills: ShapedRead<HostBill[]>;
}

/** One of our columns, by table and column name. */
export interface OurColumn {
  table: string;
  column: string;
}

/** Our columns the embedding statement compares with the bill's key and with its unit. */
export interface BillJoins {
  key: OurColumn[];
  unit: OurColumn[];
}

/** The bill query as SQL text (`?` bindings) to use as a derived table. */
export interface BillsSubquery {
  sql: string;
  bindings: Knex.Value[];
  /** Its column names (one row per bill). */
  columns: string[];
  /** The columns holding the bill's own key and its unit's key. */
  keyColumn: string;
  unitColumn: string;
  /** The bills in rows carrying `columns`, keyed by the ids asked for. */
  read(rows: Array<Record<string, unknown>>): Map<string, HostBill>;
}

/** The ids among `missing` that exist in the host but outside the mapping (empty when the reader cannot tell). */
export async function unmappedBills(host: HostReader, missing: string[]): Promise<Set<string>> {
  if (missing.length === 0 || !host.billsOutsideMapping) return new Set();
  return host.billsOutsideMapping(missing);
}
