// Reads of one fixed shape each (selectShaped: their text kept, sent prepared where the driver can), sent
// alone or several as ONE statement. Each statement costs the web server a socket write that wakes the
// database server (with both on two cores, about 0.15 ms of Node CPU and as much of MariaDB's per statement
// on the counter's intake page, issue 20): a page that needs three independent reads sends them as one
// UNION ALL, each read a derived table, told apart by a part number and given its own columns (NULL in
// the other parts' rows, so no two parts' column types or collations meet in one column).
//
// Rows keep their part's order: a part with ORDER BY and LIMIT is materialised in that order and the
// UNION ALL appends the parts one after another (MariaDB, MySQL and SQLite alike). A part whose order
// matters must therefore have a LIMIT, or the server may drop its ORDER BY; a part without one is read as
// an unordered set.
import type { Knex } from 'knex';
import { builtQuery, selectShaped, type BuildQuery } from './prepared.js';

type Row = Record<string, unknown>;

/** One read of a fixed shape: see StatementShapes for `key` and `values`. */
export interface ShapedRead<T> {
  key: string;
  values: readonly Knex.Value[];
  build: BuildQuery;
  /** The names of the columns the built query answers (its select list's aliases). */
  columns: readonly string[];
  read(rows: Row[]): T;
}

/** One read on its own. */
export async function readShaped<T>(db: Knex | Knex.Transaction, read: ShapedRead<T>): Promise<T> {
  return read.read(await selectShaped(db, read.key, read.values, read.build));
}

const column = (part: number, name: string) => `p${part}_${name}`;

/**
 * Several reads in one statement; each answer is what its read makes of its own rows. A value shared by
 * several reads (the unit's id, say) is one value of the statement's shape, so the kept text still fits
 * (StatementShapes learns nothing from values that repeat); which of them coincide is part of the key.
 */
export async function readShapedTogether<T extends readonly unknown[]>(
  db: Knex | Knex.Transaction,
  reads: { readonly [K in keyof T]: ShapedRead<T[K]> },
): Promise<T> {
  const parts = reads as readonly ShapedRead<unknown>[];
  const values: Knex.Value[] = [];
  const places: number[] = [];
  for (const value of parts.flatMap((r) => r.values)) {
    let at = values.indexOf(value);
    if (at < 0) at = values.push(value) - 1;
    places.push(at);
  }
  const key = `together(${parts.map((r) => r.key).join(' + ')}):${places.join(',')}`;
  const rows = await selectShaped(db, key, values, async () => {
    const built = await Promise.all(parts.map((r) => builtQuery(r.build)));
    const branches = built.map(({ qb }, i) =>
      db
        .select([
          db.raw(`${i} AS ??`, ['part_no']),
          ...parts.flatMap((r, j) =>
            r.columns.map((name) => (i === j ? db.ref(`t${i}.${name}`).as(column(j, name)) : db.raw('NULL AS ??', [column(j, name)]))),
          ),
        ])
        .from(qb.as(`t${i}`)),
    );
    const [first, ...rest] = branches;
    return { qb: rest.length ? first!.unionAll(rest) : first! };
  });
  // Each row back under its part's own column names (a plain loop: this runs for every row of every page).
  const names = parts.map((r, i) => r.columns.map((name) => [name, column(i, name)] as const));
  const byPart: Row[][] = parts.map(() => []);
  for (const row of rows) {
    const part = Number(row.part_no);
    const own: Row = {};
    for (const [name, prefixed] of names[part]!) own[name] = row[prefixed];
    byPart[part]!.push(own);
  }
  return parts.map((r, i) => r.read(byPart[i]!)) as unknown as T;
}
