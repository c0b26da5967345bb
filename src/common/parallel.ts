// Month-end batches read in chunks of a thousand ids; a few chunks at a time keep the database's cores busy
// without taking the whole connection pool from the requests at the counter.
export const CHUNK_CONCURRENCY = 4;

/** Maps items with at most `limit` calls in flight; results keep the items' order. */
export async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i]!, i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}
