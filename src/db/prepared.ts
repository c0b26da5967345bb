// One read as a server-side prepared statement (mysql2's `execute`) for the few long statements fee
// collection sends on every call: the billing check's and an application's single read carries the host's
// bill query three times (about 2.6 KB of SQL), and MariaDB spent about half of that statement's time parsing
// it (issue 20, bench/prepared-costs.ts: about 275 against 145 µs of server CPU per statement). Prepared, it
// is parsed once per connection; mysql2 keeps the statement on the connection (bounded by
// `maxPreparedStatements`, set in connection.ts) and closes the least recently used beyond that.
//
// Only through a mysql2 connection that has `execute` (a host's knex on another driver, or SQLite, gets
// null and the caller sends the statement as usual). The statement still goes through knex's pool (or the
// caller's transaction's connection) and is announced to knex's `query` listeners like any other, so the
// statement counts of the tests and the bench see it. selectShaped does the same for a query builder's
// read of one fixed shape (the counter's intake page reads its unit, complaints and bills that way), and
// keeps its text so the builder does not run on every call (src/db/statementShapes.ts).
import type { Knex } from 'knex';
import { StatementShapes, type Statement } from './statementShapes.js';

type Db = Knex | Knex.Transaction;

const ER_NEED_REPREPARE = 1615;
/** "Can't create more than max_prepared_stmt_count statements": the server's limit, shared by every client. */
const ER_MAX_PREPARED_STMT_COUNT_REACHED = 1461;
type Row = Record<string, unknown>;

/**
 * After the server refused to prepare one more statement, reads on that database go plain for this long
 * before preparing is tried again: the limit is global (every instance's connections count against it), and
 * some DBAs set it to 0 to allow none at all. Each refused attempt would cost a round trip. Tests shorten it.
 */
export const preparedRefusals = { plainForMs: 60_000 };
/** Per knex client configuration (a transaction's client shares its pool's): until when to send plain. */
const plainUntil = new WeakMap<object, number>();

/**
 * mysql2's column type code of a single-precision FLOAT. The binary protocol of prepared statements sends
 * its four bytes, read as 12.300000190734863 where the text protocol sends "12.3" (the server's own
 * rounding); a host's FLOAT amount column (accepted, with check-host's warning) then failed as "more than two
 * decimals" on every check. Every other type reads the same both ways (test/integration/prepared-types).
 */
const FLOAT_COLUMN = 4;
/** Per knex client configuration: statements whose results hold a FLOAT column, sent plain from then on. */
const plainStatements = new WeakMap<object, Set<string>>();
/** Bounds the set above; the shapes are few (a handful per mapping), so clearing it is only a safety net. */
const MAX_PLAIN_STATEMENTS = 256;

interface Mysql2Connection {
  execute(options: { sql: string; values: unknown[] }, callback: (err: Error | null, rows: unknown, fields?: Array<{ columnType?: number }>) => void): void;
  unprepare(sql: string): void;
  __knexUid?: string;
  __knexTxId?: string;
}

interface KnexClientInternals {
  config: { client?: unknown };
  acquireConnection(): Promise<unknown>;
  releaseConnection(connection: unknown): Promise<unknown>;
  emit(event: 'query', data: Record<string, unknown>): boolean;
}

/** The rows of one SELECT run as a prepared statement, or null where this connection cannot prepare. */
export async function selectPrepared(db: Db, sql: string, bindings: readonly Knex.Value[]): Promise<Row[] | null> {
  const client = db.client as unknown as KnexClientInternals;
  if (client.config?.client !== 'mysql2') return null;
  const key = client.config;
  if ((plainUntil.get(key) ?? 0) > Date.now() || plainStatements.get(key)?.has(sql)) return null;
  const connection = (await client.acquireConnection()) as Partial<Mysql2Connection>;
  try {
    if (typeof connection.execute !== 'function') return null;
    const conn = connection as Mysql2Connection;
    client.emit('query', { method: 'raw', sql, bindings, __knexUid: conn.__knexUid, __knexTxId: conn.__knexTxId });
    try {
      const { rows, fields } = await new Promise<{ rows: Row[]; fields: Array<{ columnType?: number }> }>((resolve, reject) =>
        conn.execute({ sql, values: [...bindings] }, (err, rows, fields) => (err ? reject(err) : resolve({ rows: rows as Row[], fields: fields ?? [] }))),
      );
      if (!fields.some((f) => f.columnType === FLOAT_COLUMN)) return rows;
      // A read only: the caller sends it again as plain text, which reads FLOAT as the server rounds it.
      let plain = plainStatements.get(key);
      if (!plain) plainStatements.set(key, (plain = new Set()));
      if (plain.size >= MAX_PLAIN_STATEMENTS) plain.clear();
      plain.add(sql);
      conn.unprepare(sql);
      return null;
    } catch (err) {
      const errno = (err as { errno?: number }).errno;
      // The server allows no more prepared statements (see preparedRefusals): this read and the next ones
      // for a while go plain. Nothing was prepared, so there is nothing to drop.
      if (errno === ER_MAX_PREPARED_STMT_COUNT_REACHED) {
        plainUntil.set(key, Date.now() + preparedRefusals.plainForMs);
        return null;
      }
      // "Prepared statement needs to be re-prepared" (a host table altered, or the server's table
      // definition cache too small for its schema): the statement is dropped and the caller sends it plain.
      if (errno !== ER_NEED_REPREPARE) throw err;
      conn.unprepare(sql);
      return null;
    }
  } finally {
    await client.releaseConnection(connection);
  }
}

/** Per knex client configuration: the shapes of the reads selectShaped has compiled. */
const shapesOf = new WeakMap<object, StatementShapes>();

/** The shapes kept for this database's client, if selectShaped has kept any (tests, diagnostics). */
export function statementShapesOf(db: Db): StatementShapes | undefined {
  return shapesOf.get((db.client as unknown as KnexClientInternals).config);
}

/**
 * A SELECT built with the query builder, whose text is fixed by `key` (see StatementShapes): the builder
 * runs until the shape is learnt and confirmed, then not at all. Sent prepared where the connection can
 * (selectPrepared), else plain; other clients run the builder as usual.
 */
export async function selectShaped(db: Db, key: string, values: readonly Knex.Value[], build: BuildQuery): Promise<Row[]> {
  const builder = () => builtQuery(build);
  const client = db.client as unknown as KnexClientInternals;
  if (client.config?.client !== 'mysql2') return (await (await builder()).qb) as Row[];
  let shapes = shapesOf.get(client.config);
  if (!shapes) shapesOf.set(client.config, (shapes = new StatementShapes()));
  const { sql, bindings } = await shapes.statement(key, values, async () => (await builder()).qb.toSQL() as unknown as Statement);
  const rows = await selectPrepared(db, sql, bindings);
  if (rows) return rows;
  const [plain] = (await db.raw(sql, bindings as Knex.RawBinding[])) as unknown as [Row[]];
  return plain;
}

/**
 * Builds a read's query: a query builder, or (built asynchronously) one wrapped as `{ qb }`, since a query
 * builder is thenable and awaiting one would run it.
 */
export type BuildQuery = () => Knex.QueryBuilder | Promise<{ qb: Knex.QueryBuilder }>;

/** The query `build` makes, wrapped (see BuildQuery). */
export async function builtQuery(build: BuildQuery): Promise<{ qb: Knex.QueryBuilder }> {
  const made = build();
  return isBuilder(made) ? { qb: made } : await made;
}

const isBuilder = (made: unknown): made is Knex.QueryBuilder => typeof (made as { toSQL?: unknown }).toSQL === 'function';
